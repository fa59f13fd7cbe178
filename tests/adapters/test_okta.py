"""Okta System Log adapter, nested and Sentinel-flattened."""

from __future__ import annotations

import json
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

from .samples import format_sample, read_sample_line

ADAPTER = get_adapter("okta")
NESTED = "okta_system__okta-system-no-flattened-events.ndjson"


def _nested(line_number: int) -> dict[str, Any]:
    return orjson.loads(read_sample_line(NESTED, line_number))


def _sentinel_records() -> list[dict[str, Any]]:
    return json.loads(format_sample("okta_system_log__sentinel.json").read_text(encoding="utf-8"))


def _login(record: dict[str, Any]) -> LoginEvent:
    result = ADAPTER.adapt(record)
    assert isinstance(result, Mapped), result
    (event,) = result.events
    assert isinstance(event, LoginEvent)
    return event


def test_session_start_is_login() -> None:
    event = _login(_nested(2))
    assert event.outcome == "success"
    assert event.user_id == "xxxxxx@elastic.co"
    assert event.timestamp == "2020-02-14T20:18:57.718000+00:00"
    assert event.client is None
    uuid = "3aeede38-4f67-11ea-abd3-1f5d113f2546"
    assert event.event_id == f"{uuid}:user.session.start:2020-02-14T20:18:57.718000+00:00"


def test_repeated_uuid_gives_distinct_ids() -> None:
    logout, login = _nested(1), _nested(13)
    assert logout["uuid"] == login["uuid"]
    logout["eventType"] = "user.session.start"

    assert _login(logout).event_id != _login(login).event_id


def test_sentinel_session_start_failure() -> None:
    record = next(
        record
        for record in _sentinel_records()
        if record["eventType"] == "user.session.start" and record["outcome_result"] == "FAILURE"
    )
    event = _login(record)
    assert event.outcome == "failure"
    assert event.user_id == record["actor_alternateId"].lower()


def test_sentinel_reingested_copy_keeps_id() -> None:
    records = [
        record for record in _sentinel_records() if record["eventType"] == "user.session.start"
    ]
    first, copy = next(
        (first, copy)
        for index, first in enumerate(records)
        for copy in records[index + 1 :]
        if copy["uuid_g"] == first["uuid_g"]
    )
    assert copy["TimeGenerated"] != first["TimeGenerated"]

    assert _login(first).event_id == _login(copy).event_id


def test_nested_and_flat_forms_agree() -> None:
    nested = _nested(2)
    flat = {
        "eventType": nested["eventType"],
        "published_t": nested["published"],
        "uuid_g": nested["uuid"].upper(),
        "actor_alternateId": nested["actor"]["alternateId"],
        "actor_id": nested["actor"]["id"],
        "actor_type": "User",
        "outcome_result": "SUCCESS",
        "target": "[]",
    }
    assert _login(flat) == _login(nested)


def test_single_sign_on_is_login_with_app() -> None:
    record = next(
        record for record in _sentinel_records() if record["eventType"] == "user.authentication.sso"
    )
    event = _login(record)
    assert event.outcome == "success"
    assert event.client == "Amazon Web Services Redshift"


def test_system_principal_ignored() -> None:
    result = ADAPTER.adapt(_nested(20))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


@pytest.mark.parametrize(
    ("line_number", "reason"),
    [
        (1, IgnoreReason.LOGOUT),
        (3, IgnoreReason.AUTHENTICATION_STEP),
        (14, IgnoreReason.AUTHENTICATION_STEP),
        (16, IgnoreReason.AUTHENTICATION_STEP),
        (19, IgnoreReason.ADMIN_ACTION),
        (24, IgnoreReason.NOT_MAPPED),
    ],
)
def test_other_event_types_ignored(line_number: int, reason: IgnoreReason) -> None:
    result = ADAPTER.adapt(_nested(line_number))
    assert isinstance(result, Ignored)
    assert result.reason == reason


def test_unknown_outcome_rejected() -> None:
    record = _nested(2)
    record["outcome"]["result"] = "UNKNOWN"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.UNKNOWN_OUTCOME


def test_unknown_actor_login_falls_back_to_id() -> None:
    record = _nested(2)
    record["actor"]["alternateId"] = "unknown"
    assert _login(record).user_id == "00u1abvz4pYqdM8ms4x6"


def _profile_update(target_id: str, target_login: str) -> dict[str, Any]:
    record = _nested(2)
    record["eventType"] = "user.account.update_profile"
    record["target"] = [{"id": target_id, "type": "User", "alternateId": target_login}]
    return record


def test_own_profile_update_is_edit() -> None:
    result = ADAPTER.adapt(_profile_update("00u1abvz4pYqdM8ms4x6", "xxxxxx@elastic.co"))
    assert isinstance(result, Mapped)
    (event,) = result.events
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("edit", "profiles")


def test_other_profile_update_is_admin_action() -> None:
    result = ADAPTER.adapt(_profile_update("00uOTHER", "other@elastic.co"))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.ADMIN_ACTION
