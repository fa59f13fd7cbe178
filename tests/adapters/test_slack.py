"""Slack audit-log adapter."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pipeline.adapters import (
    Ignored,
    IgnoreReason,
    InteractionEvent,
    LoginEvent,
    Mapped,
    Rejected,
    RejectReason,
    get_adapter,
)

from .samples import read_sample_line

ADAPTER = get_adapter("slack")


def _sample(line_number: int) -> dict[str, Any]:
    return orjson.loads(read_sample_line("slack_audit__test-audit.log", line_number))


def _single_event(record: dict[str, Any]) -> LoginEvent | InteractionEvent:
    result = ADAPTER.adapt(record)
    assert isinstance(result, Mapped), result
    (event,) = result.events
    return event


def test_user_login() -> None:
    event = _single_event(_sample(1))
    assert isinstance(event, LoginEvent)
    assert event.outcome == "success"
    assert event.user_id == "bird@slack.com"
    assert event.event_id == "0123a45b-6c7d-8900-e12f-3456789gh0i1"


def test_user_login_failed() -> None:
    record = _sample(1)
    record["action"] = "user_login_failed"
    event = _single_event(record)
    assert isinstance(event, LoginEvent)
    assert event.outcome == "failure"


def test_file_download() -> None:
    event = _single_event(_sample(3))
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("download", "slack")
    assert event.content_id == "7edc4c42-f925-47af-979a-22c10e1fefed"
    assert event.user_id == "user.mcuser@abcd.co"


def test_channel_join() -> None:
    record = _sample(1)
    record["action"] = "user_channel_join"
    record["entity"] = {"type": "channel", "channel": {"id": "C0123", "name": "general"}}
    event = _single_event(record)
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.community_id) == ("join", "C0123")


@pytest.mark.parametrize(
    ("line_number", "reason"),
    [(2, IgnoreReason.ADMIN_ACTION), (4, IgnoreReason.SECURITY_ALERT)],
)
def test_non_user_actions_ignored(line_number: int, reason: IgnoreReason) -> None:
    result = ADAPTER.adapt(_sample(line_number))
    assert isinstance(result, Ignored)
    assert result.reason == reason


def test_logout_ignored() -> None:
    record = _sample(1)
    record["action"] = "user_logout"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.LOGOUT


@pytest.mark.parametrize(
    "actor",
    [
        {"type": "app", "app": {"id": "A1"}},
        {"type": "user", "user": {"id": "USLACKUSER", "name": "Slack"}},
    ],
)
def test_non_person_actor_ignored(actor: dict[str, Any]) -> None:
    record = _sample(1)
    record["actor"] = actor
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


def test_user_id_without_email() -> None:
    record = _sample(1)
    del record["actor"]["user"]["email"]
    assert _single_event(record).user_id == "W123AB456"


def test_missing_date_rejected() -> None:
    record = _sample(1)
    record["date_create"] = None
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_FIELD
