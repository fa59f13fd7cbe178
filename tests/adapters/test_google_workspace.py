"""Google Workspace Reports API login adapter."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pipeline.adapters import (
    Ignored,
    IgnoreReason,
    LoginEvent,
    Mapped,
    Rejected,
    RejectReason,
    get_adapter,
)

from .samples import read_sample_line

ADAPTER = get_adapter("google-workspace")
SAMPLE = "google_workspace_login__test-login.log"


def _sample(line_number: int) -> dict[str, Any]:
    return orjson.loads(read_sample_line(SAMPLE, line_number))


def test_login_success() -> None:
    result = ADAPTER.adapt(_sample(14))
    assert isinstance(result, Mapped)
    (event,) = result.events
    assert isinstance(event, LoginEvent)
    assert event.outcome == "success"
    assert event.user_id == "foo@bar.com"
    assert event.timestamp == "2020-10-02T15:00:00+00:00"


def test_login_failure() -> None:
    result = ADAPTER.adapt(_sample(10))
    assert isinstance(result, Mapped)
    assert [event.outcome for event in result.events if isinstance(event, LoginEvent)] == [
        "failure"
    ]


def test_activities_sharing_an_id_get_distinct_ids() -> None:
    first, second = ADAPTER.adapt(_sample(14)), ADAPTER.adapt(_sample(15))
    assert isinstance(first, Mapped) and isinstance(second, Mapped)
    assert first.events[0].event_id != second.events[0].event_id


def test_event_list_gives_one_login_per_login_event() -> None:
    record = _sample(14)
    record["events"] = [
        {"type": "login", "name": "login_challenge"},
        {"type": "login", "name": "login_success"},
        {"type": "login", "name": "login_failure"},
    ]

    result = ADAPTER.adapt(record)

    assert isinstance(result, Mapped)
    assert [event.outcome for event in result.events if isinstance(event, LoginEvent)] == [
        "success",
        "failure",
    ]
    assert len({event.event_id for event in result.events}) == 2


@pytest.mark.parametrize(
    ("line_number", "reason"),
    [
        (1, IgnoreReason.SECURITY_ALERT),
        (9, IgnoreReason.SECURITY_ALERT),
        (11, IgnoreReason.AUTHENTICATION_STEP),
        (12, IgnoreReason.AUTHENTICATION_STEP),
        (13, IgnoreReason.LOGOUT),
        (16, IgnoreReason.SECURITY_ALERT),
    ],
)
def test_other_events_ignored(line_number: int, reason: IgnoreReason) -> None:
    result = ADAPTER.adapt(_sample(line_number))
    assert isinstance(result, Ignored)
    assert result.reason == reason


def test_service_caller_ignored() -> None:
    record = _sample(14)
    record["actor"]["callerType"] = "KEY"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


def test_other_application_not_mapped() -> None:
    record = _sample(14)
    record["id"]["applicationName"] = "drive"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_MAPPED


def test_events_of_wrong_type_rejected() -> None:
    record = _sample(14)
    record["events"] = "login_success"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.INVALID_FIELD


def test_missing_events_rejected() -> None:
    record = _sample(14)
    del record["events"]
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_FIELD


def test_missing_actor_rejected() -> None:
    record = _sample(14)
    record["actor"] = {"callerType": "USER"}
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID
