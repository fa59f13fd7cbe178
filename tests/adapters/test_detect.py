"""Format detection over every sample file and over files that no adapter reads."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from pipeline.adapters import CANONICAL, CSV, FormatDetectionError, detect_format, detect_records

from .samples import AUDIT_LOG_FORMATS, format_sample, sample_path

DIRECTORY_FILES_WITHOUT_ADAPTER = (
    "entityanalytics_entra_id__test-users.events.ndjson",
    "entityanalytics_okta__test-user.events.ndjson",
)
EXPECTED_FORMATS = {**AUDIT_LOG_FORMATS, "entra_directory__contoso.csv": CSV}


def test_detection_covers_every_sample(formats_dir: Path) -> None:
    names = {path.name for path in formats_dir.iterdir()}
    assert names == set(EXPECTED_FORMATS) | set(DIRECTORY_FILES_WITHOUT_ADAPTER)


@pytest.mark.parametrize("file_name", sorted(EXPECTED_FORMATS))
def test_detect_sample_format(file_name: str) -> None:
    assert detect_format(format_sample(file_name)) == EXPECTED_FORMATS[file_name]


@pytest.mark.parametrize("file_name", DIRECTORY_FILES_WITHOUT_ADAPTER)
def test_detect_rejects_directory_export(file_name: str) -> None:
    path = format_sample(file_name)
    with pytest.raises(FormatDetectionError) as raised:
        detect_format(path)
    message = str(raised.value)
    assert str(path) in message
    assert "fields seen: @timestamp" in message
    assert "--format" in message


def test_detect_cert_csv_by_name() -> None:
    assert detect_format(sample_path("cert-r4.2/logon_2010-01.csv")) == CSV
    assert detect_format(sample_path("cert-r4.2/email_sent_2010-01.csv.gz")) == CSV


def test_detect_rejects_csv_under_other_name(tmp_path: Path) -> None:
    head = sample_path("cert-r4.2/logon_2010-01.csv").read_bytes().splitlines()[:5]
    path = tmp_path / "logon.log"
    path.write_bytes(b"\n".join(head) + b"\n")

    with pytest.raises(FormatDetectionError) as raised:
        detect_format(path)
    message = str(raised.value)
    assert str(path) in message
    assert "not a JSON object" in message


def test_detect_rejects_unknown_json(tmp_path: Path) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(b'{"colour": "blue", "size": 3}\n{"colour": "red", "size": 1}\n')

    with pytest.raises(FormatDetectionError) as raised:
        detect_format(path)
    message = str(raised.value)
    assert str(path) in message
    assert "fields seen: colour, size" in message


def test_detect_canonical_json_lines(tmp_path: Path) -> None:
    records = [
        {
            "event_id": "1",
            "user_id": "a",
            "timestamp": "2024-01-01T00:00:00Z",
            "outcome": "success",
        },
        {"event_id": "2", "user_id": "a", "timestamp": 1704067200, "kind": "post", "app": "blogs"},
    ]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records))
    assert detect_format(path) == CANONICAL


def test_detect_gzip_sample(tmp_path: Path) -> None:
    path = tmp_path / "slack.log.gz"
    path.write_bytes(gzip.compress(format_sample("slack_audit__test-audit.log").read_bytes()))
    assert detect_format(path) == "slack"


def test_detect_rejects_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"\n\n")
    with pytest.raises(FormatDetectionError, match="contains no JSON records"):
        detect_format(path)


def test_detect_records_needs_majority() -> None:
    slack = {"date_create": 1, "action": "user_login", "actor": {}}
    other = {"colour": "blue"}
    assert detect_records([slack, slack, other]) == "slack"
    assert detect_records([slack, other]) is None
    assert detect_records([]) is None
