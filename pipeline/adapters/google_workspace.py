"""Adapter for Google Workspace Reports API activities of the `login` application."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from pipeline.adapters.base import (
    AdapterResult,
    CanonicalEvent,
    Ignored,
    IgnoreReason,
    JsonObject,
    LoginEvent,
    Mapped,
    Outcome,
    Rejected,
    RejectReason,
)
from pipeline.adapters.fields import (
    digest,
    fit_id,
    get_path,
    get_text,
    read_optional_id,
    read_timestamp,
    read_user_id,
)

LOGIN_EVENTS: Mapping[str, Outcome] = MappingProxyType(
    {"login_success": "success", "login_failure": "failure"}
)

# Event names of the login application that are not a completed sign-in, with the
# reason each is ignored. Events of type "account_warning" are security alerts too.
_IGNORED_EVENTS: Mapping[str, IgnoreReason] = MappingProxyType(
    {
        "logout": IgnoreReason.LOGOUT,
        "login_challenge": IgnoreReason.AUTHENTICATION_STEP,
        "login_verification": IgnoreReason.AUTHENTICATION_STEP,
        "risky_sensitive_action_allowed": IgnoreReason.SECURITY_ALERT,
        "risky_sensitive_action_blocked": IgnoreReason.SECURITY_ALERT,
    }
)


class GoogleWorkspaceAdapter:
    """Adapter from Reports API login activities to logins.

    One activity may hold several events, so one record may produce several logins:
    `login_success` and `login_failure` are logins, every other event is ignored. The
    user is `actor.email`, falling back to `actor.profileId`, and the time is `id.time`.
    `events` may be a list, as the API returns it, or a single object.

    The event id is `id.time/id.uniqueQualifier/index/digest`, where index is the
    event's position in the activity and digest hashes the event, so two events that
    share an activity id still get distinct ids.
    """

    name: Final = "google-workspace"

    def matches(self, record: JsonObject) -> bool:
        if record.get("kind") == "admin#reports#activity":
            return True
        return (
            isinstance(record.get("id"), dict)
            and "applicationName" in record["id"]
            and "events" in record
        )

    def adapt(self, record: JsonObject) -> AdapterResult:
        # 1. Only user sign-ins of the login application count.
        application = get_text(record, "id", "applicationName")
        if application != "login":
            return Ignored(
                IgnoreReason.NOT_MAPPED, f"application {application!r} is not the login application"
            )
        caller_type = get_text(record, "actor", "callerType")
        if caller_type is not None and caller_type != "USER":
            return Ignored(IgnoreReason.NOT_A_USER, f"actor callerType {caller_type} is not a user")
        if record.get("events") is None:
            return Rejected(RejectReason.MISSING_FIELD, "events is missing")
        events = _read_events(record["events"])
        if events is None:
            return Rejected(
                RejectReason.INVALID_FIELD,
                f"events is a JSON {type(record['events']).__name__}, not an object or a list",
            )

        # 2. Keep the login events. An activity without any is ignored.
        logins = [
            (index, event)
            for index, event in enumerate(events)
            if get_text(event, "name") in LOGIN_EVENTS
        ]
        if not logins:
            return _ignore(events)

        # 3. Read the fields every login needs.
        user_value = get_path(record, "actor", "email") or get_path(record, "actor", "profileId")
        user_id = read_user_id(user_value, "actor.email")
        if isinstance(user_id, Rejected):
            return user_id
        timestamp = read_timestamp(get_path(record, "id", "time"), "id.time")
        if isinstance(timestamp, Rejected):
            return timestamp
        qualifier = read_optional_id(get_path(record, "id", "uniqueQualifier")) or digest(
            record, 16
        )

        mapped: list[CanonicalEvent] = []
        for index, event in logins:
            event_id = fit_id(f"{timestamp}/{qualifier}/{index}/{digest(event, 16)}")
            outcome = LOGIN_EVENTS[str(event["name"]).strip()]
            mapped.append(LoginEvent(event_id, user_id, timestamp, outcome))
        return Mapped(tuple(mapped))


def _read_events(value: Any) -> list[JsonObject] | None:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [event for event in value if isinstance(event, dict)]
    return None


def _ignore(events: list[JsonObject]) -> Ignored:
    names = [get_text(event, "name") or "?" for event in events]
    first = events[0] if events else {}
    if get_text(first, "type") == "account_warning":
        reason = IgnoreReason.SECURITY_ALERT
    else:
        reason = _IGNORED_EVENTS.get(get_text(first, "name") or "", IgnoreReason.NOT_MAPPED)
    return Ignored(reason, f"no login_success or login_failure event among {names}")
