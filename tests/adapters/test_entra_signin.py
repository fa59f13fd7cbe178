"""Entra ID sign-in log adapter."""

from __future__ import annotations

import copy
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

ADAPTER = get_adapter("entra-signin")


def _sample(line_number: int) -> dict[str, Any]:
    return orjson.loads(read_sample_line("azure_signinlogs__test-signinlogs-raw.log", line_number))


def _login(record: dict[str, Any]) -> LoginEvent:
    result = ADAPTER.adapt(record)
    assert isinstance(result, Mapped), result
    (event,) = result.events
    assert isinstance(event, LoginEvent)
    return event


def test_interactive_sign_in_failure() -> None:
    event = _login(_sample(1))
    assert event.outcome == "failure"
    assert event.user_id == "test@elastic.co"
    assert event.client == "Office 365"
    assert event.event_id == "8a4de8b5-095c-47d0-a96f-a75130c61d53:SignInLogs"


def test_result_type_zero_is_success() -> None:
    record = _sample(1)
    record["resultType"] = "0"
    assert _login(record).outcome == "success"


def test_error_code_used_without_result_type() -> None:
    record = _sample(1)
    del record["resultType"]
    record["properties"]["status"]["errorCode"] = 0
    assert _login(record).outcome == "success"


def test_non_numeric_result_type_rejected() -> None:
    record = _sample(1)
    record["resultType"] = "Success"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.UNKNOWN_OUTCOME


def test_interactive_and_non_interactive_ids_differ() -> None:
    interactive, non_interactive = _login(_sample(1)), _login(_sample(2))
    assert interactive.event_id != non_interactive.event_id


@pytest.mark.parametrize("line_number", [3, 4, 5])
def test_service_sign_ins_ignored(line_number: int) -> None:
    result = ADAPTER.adapt(_sample(line_number))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


def test_other_category_not_mapped() -> None:
    record = _sample(1)
    record["category"] = "AuditLogs"
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_MAPPED


def test_user_id_falls_back_to_object_id() -> None:
    record = _sample(1)
    record["properties"]["userPrincipalName"] = ""
    assert _login(record).user_id == "8a4de8b5-095c-47d0-a96f-a75130c61d53"


def test_missing_user_rejected() -> None:
    record = copy.deepcopy(_sample(1))
    record["properties"]["userPrincipalName"] = ""
    record["properties"]["userId"] = ""
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID


def test_time_falls_back_to_monitor_time() -> None:
    record = _sample(1)
    del record["properties"]["createdDateTime"]
    assert _login(record).timestamp == "2019-10-18T09:45:48.072989+00:00"
