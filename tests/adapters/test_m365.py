"""Microsoft 365 unified audit log adapter."""

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

ADAPTER = get_adapter("m365")


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "CreationTime": "2024-03-01T08:00:00",
        "Id": "11111111-2222-3333-4444-555555555555",
        "Operation": "UserLoggedIn",
        "UserId": "Alice@Contoso.com",
        "UserType": 0,
        "Workload": "AzureActiveDirectory",
    }
    base.update(fields)
    return base


def _single_event(record: dict[str, Any]) -> LoginEvent | InteractionEvent:
    result = ADAPTER.adapt(record)
    assert isinstance(result, Mapped), result
    assert len(result.events) == 1
    return result.events[0]


def test_user_logged_in_is_success() -> None:
    event = _single_event(_record())
    assert isinstance(event, LoginEvent)
    assert event.outcome == "success"
    assert event.user_id == "alice@contoso.com"
    assert event.event_id == "11111111-2222-3333-4444-555555555555"
    assert event.to_dict() == {
        "event_id": "11111111-2222-3333-4444-555555555555",
        "user_id": "alice@contoso.com",
        "timestamp": "2024-03-01T08:00:00+00:00",
        "outcome": "success",
    }


def test_user_login_failed_sample_is_failure() -> None:
    lines = [orjson.loads(line) for line in _sts_lines()]
    failed = next(record for record in lines if record["Operation"] == "UserLoginFailed")

    event = _single_event(failed)

    assert isinstance(event, LoginEvent)
    assert event.outcome == "failure"


def _sts_lines() -> list[bytes]:
    return [
        read_sample_line("o365_audit__azuread-sts-logon.ndjson", number) for number in range(1, 70)
    ]


def test_unknown_application_sign_in_ignored() -> None:
    record = next(orjson.loads(line) for line in _sts_lines() if b'"UserId":"Unknown"' in line)
    result = ADAPTER.adapt(record)
    assert result == Ignored(
        IgnoreReason.NOT_A_USER,
        "UserLoggedIn: UserType 5 is not a person; only 0 (Regular) and 2 (Admin) are",
    )


def test_unknown_user_of_person_type_rejected() -> None:
    result = ADAPTER.adapt(_record(UserId="Unknown"))
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID


@pytest.mark.parametrize("user_id", [None, "", "   "])
def test_missing_user_id_rejected(user_id: object) -> None:
    result = ADAPTER.adapt(_record(UserId=user_id))
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_USER_ID
    assert "UserId" in result.detail


@pytest.mark.parametrize("user_type", [5, "5", 4, 6, 5.0])
def test_non_person_user_types_ignored(user_type: object) -> None:
    result = ADAPTER.adapt(_record(UserType=user_type))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


@pytest.mark.parametrize("user_type", [0, "0", 2, 0.0, None])
def test_person_user_types_mapped(user_type: object) -> None:
    assert isinstance(ADAPTER.adapt(_record(UserType=user_type)), Mapped)


def test_teams_application_record_ignored() -> None:
    record = orjson.loads(read_sample_line("o365_audit__ms-teams.ndjson", 1))
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


def test_teams_member_added_is_admin_action() -> None:
    record = orjson.loads(read_sample_line("o365_audit__ms-teams.ndjson", 2))
    result = ADAPTER.adapt(record)
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.ADMIN_ACTION


def test_teams_session_started_is_login() -> None:
    record = orjson.loads(read_sample_line("o365_audit__ms-teams.ndjson", 4))
    event = _single_event(record)
    assert isinstance(event, LoginEvent)
    assert event.outcome == "success"
    assert event.client == "teams"
    assert event.user_id == "bob@testsiem.onmicrosoft.com"


def test_teams_message_sent_is_message() -> None:
    record = _record(
        Workload="MicrosoftTeams",
        Operation="MessageSent",
        TeamGuid="19:abc@thread.skype",
        MessageId="1700000000000",
    )
    event = _single_event(record)
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("message", "teams")
    assert event.community_id == "19:abc@thread.skype"
    assert event.content_id == "1700000000000"


def test_yammer_group_creation_is_create() -> None:
    record = orjson.loads(
        read_sample_line("o365_audit_yammer__test-yammer-events.original.ndjson", 1)
    )
    event = _single_event(record)
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("create", "yammer")
    assert event.community_id == "Sales"
    assert event.user_id == "alice@testsiem2.onmicrosoft.com"
    assert event.timestamp == "2020-02-28T09:42:45+00:00"


def test_yammer_duplicate_record_keeps_id() -> None:
    second = orjson.loads(
        read_sample_line("o365_audit_yammer__test-yammer-events.original.ndjson", 2)
    )
    third = orjson.loads(
        read_sample_line("o365_audit_yammer__test-yammer-events.original.ndjson", 3)
    )
    assert _single_event(second).event_id == _single_event(third).event_id


def test_sharepoint_file_accessed_is_view() -> None:
    record = _record(
        Workload="SharePoint",
        Operation="FileAccessed",
        ObjectId="https://contoso.sharepoint.com/sites/hr/doc.docx",
        SiteUrl="https://contoso.sharepoint.com/sites/hr/",
    )
    event = _single_event(record)
    assert isinstance(event, InteractionEvent)
    assert (event.kind, event.app) == ("view", "sharepoint")
    assert event.content_id == "https://contoso.sharepoint.com/sites/hr/doc.docx"


@pytest.mark.parametrize(
    "operation", ["FileAccessedExtended", "PagePrefetched", "SearchQueryPerformed"]
)
def test_sharepoint_repeats_and_prefetch_ignored(operation: str) -> None:
    result = ADAPTER.adapt(_record(Workload="SharePoint", Operation=operation))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_MAPPED


def test_sharepoint_app_account_ignored() -> None:
    result = ADAPTER.adapt(
        _record(Workload="SharePoint", Operation="FileAccessed", UserId="app@sharepoint")
    )
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_A_USER


def test_exchange_operation_not_mapped() -> None:
    result = ADAPTER.adapt(_record(Workload="Exchange", Operation="MailItemsAccessed"))
    assert isinstance(result, Ignored)
    assert result.reason == IgnoreReason.NOT_MAPPED


def test_invalid_creation_time_rejected() -> None:
    result = ADAPTER.adapt(_record(CreationTime="28/02/2020 09:42"))
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.INVALID_TIMESTAMP
    assert "CreationTime" in result.detail


def test_missing_id_gets_stable_digest() -> None:
    record = _record()
    del record["Id"]

    first = _single_event(record).event_id
    again = _single_event(dict(reversed(list(record.items())))).event_id
    other = _single_event({**record, "CreationTime": "2024-03-01T08:00:01"}).event_id

    assert first.startswith("m365-")
    assert first == again
    assert first != other


def test_missing_operation_rejected() -> None:
    record = _record()
    del record["Operation"]
    result = ADAPTER.adapt(record)
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.MISSING_FIELD


def test_long_content_id_replaced_by_digest() -> None:
    url = "https://contoso.sharepoint.com/sites/hr/" + "a" * 600 + ".docx"
    event = _single_event(_record(Workload="SharePoint", Operation="FileAccessed", ObjectId=url))
    assert isinstance(event, InteractionEvent)
    assert event.content_id is not None
    assert event.content_id.startswith("sha256:")
    assert len(event.content_id) == len("sha256:") + 64


def test_overlong_user_id_rejected() -> None:
    result = ADAPTER.adapt(_record(UserId="u" * 600 + "@contoso.com"))
    assert isinstance(result, Rejected)
    assert result.reason == RejectReason.INVALID_FIELD
