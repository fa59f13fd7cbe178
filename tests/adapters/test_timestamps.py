"""Timestamp traits: no zone meaning UTC, explicit offsets, epoch seconds and milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.adapters import Mapped, Rejected, RejectReason, get_adapter
from pipeline.adapters.errors import InvalidTimestampError
from pipeline.adapters.timestamps import format_timestamp, parse_timestamp

from .samples import read_sample_line


def _single_timestamp(format_name: str, record: dict[str, object]) -> str:
    result = get_adapter(format_name).adapt(record)
    assert isinstance(result, Mapped), result
    assert len(result.events) == 1
    return result.events[0].timestamp


def test_m365_creation_time_without_zone_is_utc() -> None:
    record = orjson.loads(read_sample_line("o365_audit__azuread-sts-logon.ndjson", 1))
    assert record["CreationTime"] == "2020-02-10T15:13:13"
    assert _single_timestamp("m365", record) == "2020-02-10T15:13:13+00:00"


def test_entra_offset_converted_to_utc() -> None:
    record = orjson.loads(read_sample_line("azure_signinlogs__test-signinlogs-raw.log", 1))
    assert record["properties"]["createdDateTime"] == "2019-10-18T04:45:48.0729893-05:00"

    timestamp = _single_timestamp("entra-signin", record)

    assert timestamp == "2019-10-18T09:45:48.072989+00:00"
    # The Azure Monitor "time" field states the same instant in UTC.
    assert datetime.fromisoformat(timestamp) == datetime.fromisoformat(
        record["time"][:26] + "+00:00"
    )


def test_slack_epoch_seconds() -> None:
    record = orjson.loads(read_sample_line("slack_audit__test-audit.log", 1))
    assert record["date_create"] == 1521214343
    assert _single_timestamp("slack", record) == "2018-03-16T15:32:23+00:00"


def test_slack_epoch_milliseconds() -> None:
    record = orjson.loads(read_sample_line("slack_audit__test-audit.log", 1))
    record["date_create"] = 1521214343250
    assert _single_timestamp("slack", record) == "2018-03-16T15:32:23.250000+00:00"


def test_mattermost_space_before_zone() -> None:
    record = orjson.loads(read_sample_line("mattermost_audit__test-audit.log", 4))
    assert record["timestamp"] == "2021-12-04 23:19:58.729 Z"
    assert _single_timestamp("mattermost", record) == "2021-12-04T23:19:58.729000+00:00"


def test_okta_time_without_zone_rejected() -> None:
    record = orjson.loads(
        read_sample_line("okta_system__okta-system-no-flattened-events.ndjson", 2)
    )
    record["published"] = "2020-02-14T20:18:57.718"

    result = get_adapter("okta").adapt(record)

    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.INVALID_TIMESTAMP
    assert "published" in result.detail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-05-26T22:15:19.88Z", "2020-05-26T22:15:19.880000+00:00"),
        ("2020-05-26T22:15:19z", "2020-05-26T22:15:19+00:00"),
        ("2022-08-17 20:37:52.846 +01:00", "2022-08-17T19:37:52.846000+00:00"),
        ("2020-05-26T22:15:19.123456789+00:00", "2020-05-26T22:15:19.123456+00:00"),
        (0, "1970-01-01T00:00:00+00:00"),
        (1.5, "1970-01-01T00:00:01.500000+00:00"),
        (1593695305123456, "2020-07-02T13:08:25.123456+00:00"),
    ],
)
def test_parse_timestamp_forms(value: object, expected: str) -> None:
    assert format_timestamp(parse_timestamp(value)) == expected


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2020-05-26", "2020-05-26T22:15:19", "", True, None, float("nan"), 10**20, [1]],
)
def test_parse_timestamp_rejects(value: object) -> None:
    with pytest.raises(InvalidTimestampError):
        parse_timestamp(value)


def test_naive_means_utc_only_on_request() -> None:
    assert parse_timestamp("2020-02-28T09:42:45", naive_means_utc=True) == datetime(
        2020, 2, 28, 9, 42, 45, tzinfo=UTC
    )
    with pytest.raises(InvalidTimestampError, match="no UTC offset"):
        parse_timestamp("2020-02-28T09:42:45")


def test_format_timestamp_rejects_naive() -> None:
    with pytest.raises(InvalidTimestampError):
        format_timestamp(datetime(2020, 1, 1))
