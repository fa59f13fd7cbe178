"""Reading JSON lines and JSON arrays, gzip, bad lines, duplicate keys and numbers like 1E2."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.adapters import read_records
from pipeline.adapters.errors import InvalidJsonError, NotAnObjectError
from pipeline.adapters.jsonlines import parse_object

from .samples import format_sample, read_sample_line


def test_read_lines_skips_blank_and_keeps_bad(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b'{"a": 1}\n\n   \n{"a": \n[1, 2]\r\n{"a": 2}')

    records = list(read_records(path))

    assert [record.position for record in records] == [1, 4, 5, 6]
    assert records[0].value == {"a": 1}
    assert records[0].raw == b'{"a": 1}'
    assert records[1].value is None
    assert "invalid JSON" in str(records[1].error)
    assert not isinstance(records[1].error, NotAnObjectError)
    assert isinstance(records[2].error, NotAnObjectError)
    assert str(records[2].error) == "expected a JSON object, got a JSON array"
    assert records[2].raw == b"[1, 2]"
    assert records[3].value == {"a": 2}


def test_read_lines_strips_bom(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n')
    assert [record.value for record in read_records(path)] == [{"a": 1}]


def test_read_array_positions(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    path.write_bytes(b'  \n[{"a": 1}, 7, {"b": [2]}]')

    records = list(read_records(path))

    assert [record.position for record in records] == [1, 2, 3]
    assert records[0].value == {"a": 1}
    assert isinstance(records[1].error, NotAnObjectError)
    assert str(records[1].error) == "expected a JSON object, got a JSON number"
    assert json.loads(records[2].raw) == {"b": [2]}


def test_read_broken_array_raises(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    path.write_bytes(b'[{"a": 1},')
    with pytest.raises(InvalidJsonError, match=r"audit\.json"):
        list(read_records(path))


def test_read_gzip_by_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert [record.value for record in read_records(path)] == [{"a": 1}, {"a": 2}]


def test_read_gzip_array(tmp_path: Path) -> None:
    path = tmp_path / "audit.json.gz"
    path.write_bytes(gzip.compress(b'[{"a": 1}]'))
    assert [record.value for record in read_records(path)] == [{"a": 1}]


def test_sentinel_sample_is_array() -> None:
    path = format_sample("okta_system_log__sentinel.json")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(expected, list)

    records = list(read_records(path))

    assert len(records) == len(expected)
    assert [record.position for record in records] == list(range(1, len(expected) + 1))
    assert [record.value for record in records] == expected


def test_ndjson_sample_line_numbers() -> None:
    path = format_sample("okta_system__okta-system-no-flattened-events.ndjson")
    lines = path.read_bytes().splitlines()

    records = list(read_records(path))

    assert [record.position for record in records] == list(range(1, len(lines) + 1))
    assert all(record.error is None for record in records)


def test_duplicate_key_keeps_last() -> None:
    raw = read_sample_line("o365_audit_yammer__test-yammer-events.original.ndjson", 3)
    assert raw.count(b'"YammerNetworkId"') == 2

    record = parse_object(raw)

    assert record["YammerNetworkId"] == 5846122497.0
    assert record == json.loads(raw)


def test_exponent_numbers_are_floats() -> None:
    record = parse_object(
        read_sample_line("o365_audit_yammer__test-yammer-events.original.ndjson", 3)
    )
    assert record["LogonType"] == 100.0
    assert record["Version"] == 10.0
    assert record["ActorYammerUserId"] == 36085768193.0


@pytest.mark.parametrize("raw", [b"", b"{bad}", b'{"a": 1} {"b": 2}'])
def test_parse_object_rejects_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidJsonError) as raised:
        parse_object(raw)
    assert not isinstance(raised.value, NotAnObjectError)


@pytest.mark.parametrize("raw", [b"null", b'"text"', b"[]", b"1E2"])
def test_parse_object_rejects_non_objects(raw: bytes) -> None:
    with pytest.raises(NotAnObjectError):
        parse_object(raw)
