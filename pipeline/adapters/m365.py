"""Adapter for the Microsoft 365 unified audit log (Office 365 Management Activity API)."""

from __future__ import annotations

from functools import partial
from typing import Final

from pipeline.adapters import m365_operations as operations
from pipeline.adapters.base import (
    AdapterResult,
    Ignored,
    IgnoreReason,
    InteractionEvent,
    JsonObject,
    LoginEvent,
    Mapped,
    Rejected,
    RejectReason,
)
from pipeline.adapters.fields import (
    EventBuilder,
    digest,
    get_path,
    get_text,
    read_optional_id,
    read_timestamp,
    read_user_id,
)


class M365Adapter:
    """Adapter from Microsoft 365 audit records to logins and to interactions.

    Sign-ins (`UserLoggedIn`, `UserLoginFailed`, `TeamsSessionStarted`) become logins.
    The user actions of the Yammer, Teams, SharePoint and OneDrive workloads listed in
    `m365_operations` become interactions.

    `CreationTime` has no zone and is read as UTC. `UserType` may be an integer, a
    string or a float (`0`, `"0"`, `0.0`). The event id is the record's `Id`.
    """

    name: Final = "m365"

    def matches(self, record: JsonObject) -> bool:
        return all(key in record for key in ("CreationTime", "Operation", "Workload"))

    def adapt(self, record: JsonObject) -> AdapterResult:
        operation = get_text(record, "Operation")
        workload = get_text(record, "Workload") or ""
        if operation is None:
            return Rejected(RejectReason.MISSING_FIELD, "Operation is missing")

        # 1. Records of applications and services are not user actions.
        not_a_person = _describe_non_person(record)
        if not_a_person is not None:
            return Ignored(IgnoreReason.NOT_A_USER, f"{operation}: {not_a_person}")

        # 2. Decide what the operation is before reading the user and the time, so
        #    unmapped operations are ignored even when those fields are odd.
        build_event = _event_builder(record, operation, workload)
        if build_event is None and operation in operations.ADMIN_OPERATIONS:
            return Ignored(IgnoreReason.ADMIN_ACTION, f"{operation} is an administrative operation")
        if build_event is None:
            return Ignored(
                IgnoreReason.NOT_MAPPED,
                f"operation {operation!r} of workload {workload!r} is not a mapped user action",
            )

        # 3. Read the fields every canonical event needs.
        user_id = read_user_id(get_path(record, "UserId"), "UserId")
        if isinstance(user_id, Rejected):
            return user_id
        if user_id.casefold() == "unknown":
            return Rejected(RejectReason.MISSING_USER_ID, 'UserId is the placeholder "Unknown"')
        timestamp = read_timestamp(
            get_path(record, "CreationTime"), "CreationTime", naive_means_utc=True
        )
        if isinstance(timestamp, Rejected):
            return timestamp
        event_id = read_optional_id(get_path(record, "Id")) or f"m365-{digest(record)}"

        return Mapped((build_event(event_id, user_id, timestamp),))


def _event_builder(record: JsonObject, operation: str, workload: str) -> EventBuilder | None:
    """Return a function of (event_id, user_id, timestamp) that builds the event, or None."""
    login_outcome = operations.LOGIN_OPERATIONS.get(operation)
    if login_outcome is not None:
        return partial(LoginEvent, outcome=login_outcome)
    if operation == operations.TEAMS_SESSION_OPERATION:
        return partial(LoginEvent, outcome="success", client="teams")

    kind = operations.WORKLOAD_KINDS.get(workload, {}).get(operation)
    if kind is None:
        return None
    app = operations.WORKLOAD_APPS[workload]
    content_id, community_id = _content_ids(record, app)
    return partial(
        InteractionEvent, kind=kind, app=app, content_id=content_id, community_id=community_id
    )


def _describe_non_person(record: JsonObject) -> str | None:
    """Return why the record's actor is not a person, or None when it may be one."""
    user_id = get_text(record, "UserId")
    if user_id is not None and user_id.casefold() in operations.SERVICE_USER_IDS:
        return f"UserId {user_id!r} is a service account"

    raw_type = get_path(record, "UserType")
    if raw_type is None or raw_type == "":
        return None
    user_type = _read_user_type(raw_type)
    if user_type is None:
        return None
    if user_type not in operations.PERSON_USER_TYPES:
        return f"UserType {user_type} is not a person; only 0 (Regular) and 2 (Admin) are"
    return None


def _read_user_type(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _content_ids(record: JsonObject, app: str) -> tuple[str | None, str | None]:
    """Return the (content_id, community_id) pair from the workload's own fields."""
    if app == "yammer":
        content_id = read_optional_id(get_path(record, "MessageId")) or read_optional_id(
            get_path(record, "FileId")
        )
        return content_id, read_optional_id(get_path(record, "GroupName"))
    if app == "teams":
        content_id = read_optional_id(get_path(record, "MessageId")) or read_optional_id(
            get_path(record, "ChannelGuid")
        )
        community_id = read_optional_id(get_path(record, "TeamGuid")) or read_optional_id(
            get_path(record, "ChatThreadId")
        )
        return content_id, community_id
    return read_optional_id(get_path(record, "ObjectId")), read_optional_id(
        get_path(record, "SiteUrl")
    )
