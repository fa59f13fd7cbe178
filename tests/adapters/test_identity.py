"""User-id normalisation and the alias map."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from pipeline.adapters import (
    AliasMap,
    AliasMapError,
    Mapped,
    adapt_record,
    get_adapter,
    normalize_user_id,
)
from pipeline.adapters.errors import InvalidUserIdError

from .samples import read_sample_line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Alice@Example.COM ", "alice@example.com"),
        ("ASR@testsiem.onmicrosoft.com", "asr@testsiem.onmicrosoft.com"),
        (" 00uAbC123 ", "00uAbC123"),
        ("W123AB456", "W123AB456"),
        (36085768193, "36085768193"),
        (1e2, "100"),
        (3.6085768193e10, "36085768193"),
    ],
)
def test_normalize_user_id(value: object, expected: str) -> None:
    assert normalize_user_id(value) == expected


@pytest.mark.parametrize("value", ["", "   ", None, True, 1.5, ["a"], {"id": "a"}])
def test_normalize_user_id_rejects(value: object) -> None:
    with pytest.raises(InvalidUserIdError):
        normalize_user_id(value)


def test_alias_map_resolves_ignoring_case() -> None:
    aliases = AliasMap.from_dict({"Alice@Example.com": "E1001", "bob@example.com": " E1002 "})

    assert aliases.resolve("alice@example.com") == "E1001"
    assert aliases.resolve("ALICE@EXAMPLE.COM") == "E1001"
    assert aliases.resolve("bob@example.com") == "E1002"
    assert aliases.resolve("carol@example.com") == "carol@example.com"
    assert "Bob@Example.com" in aliases
    assert len(aliases) == 2


def test_alias_map_empty_changes_nothing() -> None:
    assert AliasMap().resolve("alice@example.com") == "alice@example.com"


def test_alias_map_rejects_conflict() -> None:
    with pytest.raises(AliasMapError, match=r"alice@example\.com"):
        AliasMap.from_dict({"alice@example.com": "E1", "ALICE@example.com": "E2"})


def test_alias_map_accepts_repeated_pair() -> None:
    aliases = AliasMap.from_dict({"alice@example.com": "E1", "ALICE@example.com": "E1"})
    assert aliases.resolve("alice@example.com") == "E1"


@pytest.mark.parametrize(
    "aliases", [{"": "E1"}, {"alice@example.com": ""}, {"alice@example.com": None}]
)
def test_alias_map_rejects_empty_values(aliases: dict[str, object]) -> None:
    with pytest.raises(AliasMapError):
        AliasMap.from_dict(aliases)


def test_alias_map_from_csv_with_header(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(
        "alias,user_id\nAlice@Example.com,E1001\n\nbob@example.com,E1002\n", encoding="utf-8"
    )

    aliases = AliasMap.from_file(path)

    assert aliases.resolve("alice@example.com") == "E1001"
    assert aliases.resolve("bob@example.com") == "E1002"
    assert len(aliases) == 2


def test_alias_map_from_gzip_csv_without_header(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv.gz"
    path.write_bytes(gzip.compress(b"alice@example.com,E1001\r\n"))
    assert AliasMap.from_file(path).resolve("Alice@example.com") == "E1001"


def test_alias_map_from_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "aliases.jsonl"
    path.write_text('{"alias": "alice@example.com", "user_id": "E1001"}\n', encoding="utf-8")
    assert AliasMap.from_file(path).resolve("alice@example.com") == "E1001"


def test_alias_map_file_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,user_id\nalice@example.com,E1,extra\n", encoding="utf-8")
    with pytest.raises(AliasMapError, match=r"aliases\.csv:2: expected 2 columns"):
        AliasMap.from_file(path)


def test_alias_map_jsonl_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.jsonl"
    path.write_text(
        '{"alias": "a@example.com", "user_id": "E1"}\n{"alias": "b@example.com"}\n',
        encoding="utf-8",
    )
    with pytest.raises(AliasMapError, match=r"aliases\.jsonl:2"):
        AliasMap.from_file(path)


def test_adapt_record_applies_aliases() -> None:
    record = orjson.loads(read_sample_line("o365_audit__azuread-sts-logon.ndjson", 1))
    aliases = AliasMap.from_dict({"ASR@testsiem.onmicrosoft.com": "E4711"})

    result = adapt_record(get_adapter("m365"), record, aliases)

    assert isinstance(result, Mapped)
    assert result.events[0].user_id == "E4711"
