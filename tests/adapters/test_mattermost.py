"""Mattermost audit-record adapter, including records with an empty user id."""

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

ADAPTER = get_adapter("mattermost")
ADMIN_ID = "ag99yu4i1if63jrui63tsmq57y"


def _sample(line_number: int) -> dict[str, Any]:
    return orjson.loads(read_sample_line("mattermost_audit__test-audit.log", line_number))


def _single_event(record: dict[str, Any]) -> LoginEvent | InteractionEvent:
    result = ADAPTER.adapt(record)
    assert isinstance(result, Mapped), result
    (event,) = result.events
    return event


def test_login_uses_authenticated_user() -> None:
    record = _sample(4)
    assert record["user_id"] == ""

    event = _single_event(record)

    assert isinstance(event, LoginEvent)
    assert event.outcome == "success"
    assert event.user_id == ADMIN_ID


def test_empty_user_id_without_user_rejected() -> None:
    record = _sample(4)
    del record["user"]

    result = ADAPTER.adapt(record)

    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID
    assert "login_id 'admin'" in result.detail


def test_failed_login_without_user_rejected() -> None:
    record = _sample(4)
    record["status"] = "fail"
    del record["user"]
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID


def test_empty_user_id_on_other_event_rejected() -> None:
    record = _sample(5)
    record["user_id"] = "  "
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID


def test_failed_login_with_user_is_failure() -> None:
    record = _sample(4)
    record["status"] = "fail"
    event = _single_event(record)
    assert isinstance(event, LoginEvent)
    assert event.outcome == "failure"


def test_own_profile_patch_is_edit() -> None:
    event = _single_event(_sample(5))
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("edit", "profiles")
    assert event.user_id == ADMIN_ID


def test_other_profile_patch_is_admin_action() -> None:
    record = _sample(5)
    record["patch"]["id"] = "zz99yu4i1if63jrui63tsmq57y"
    record["user"]["id"] = "zz99yu4i1if63jrui63tsmq57y"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.ADMIN_ACTION


@pytest.mark.parametrize(
    ("line_number", "reason"),
    [(1, IgnoreReason.ADMIN_ACTION), (3, IgnoreReason.LOGOUT), (7, IgnoreReason.NOT_MAPPED)],
)
def test_non_user_actions_ignored(line_number: int, reason: IgnoreReason) -> None:
    result = ADAPTER.adapt(_sample(line_number))
    assert isinstance(result, Ignored)
    assert result.reason == reason


def _post_record(**post: Any) -> dict[str, Any]:
    record = _sample(5)
    for key in ("patch", "user"):
        del record[key]
    record["event"] = "createPost"
    record["post"] = {"id": "p1", "channel_id": "c1", "root_id": "", **post}
    return record


def test_create_post_is_post() -> None:
    event = _single_event(_post_record())
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("post", "mattermost")
    assert (event.content_id, event.community_id) == ("p1", "c1")


def test_post_in_thread_is_reply() -> None:
    event = _single_event(_post_record(root_id="p0"))
    assert isinstance(event, InteractionEvent)
    assert event.kind == "reply"


def test_failed_post_ignored() -> None:
    record = _post_record()
    record["status"] = "fail"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_MAPPED


def test_event_name_schema() -> None:
    record = {
        "timestamp": "2022-08-17 20:37:52.846 +01:00",
        "event_name": "createPost",
        "status": "success",
        "actor": {"user_id": "aw8ehkwaziytzry1qqxi9tsqwh", "session_id": "s1"},
        "event": {"parameters": {"post": {"id": "p9", "channel_id": "c9", "root_id": ""}}},
        "meta": {"api_path": "/api/v4/posts"},
    }
    assert ADAPTER.matches(record)

    event = _single_event(record)

    assert isinstance(event, InteractionEvent)
    assert event.user_id == "aw8ehkwaziytzry1qqxi9tsqwh"
    assert event.timestamp == "2022-08-17T19:37:52.846000+00:00"
    assert (event.content_id, event.community_id) == ("p9", "c9")


def test_identical_records_share_id() -> None:
    first, second = _single_event(_sample(5)), _single_event(_sample(5))
    other = _single_event(_sample(6))
    assert first.event_id == second.event_id
    assert first.event_id != other.event_id
