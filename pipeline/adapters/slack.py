"""Adapter for Slack Enterprise audit logs (Audit Logs API, `GET /audit/v1/logs`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from types import MappingProxyType
from typing import Final

from pipeline.adapters.base import (
    AdapterResult,
    Ignored,
    IgnoreReason,
    InteractionEvent,
    JsonObject,
    LoginEvent,
    Mapped,
    Outcome,
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

LOGIN_ACTIONS: Mapping[str, Outcome] = MappingProxyType(
    {"user_login": "success", "user_login_failed": "failure"}
)

# NOTE: the file_* names come from Slack's audit action list. user_channel_join and
# the *_channel_created names are not confirmed against that list or a sample.
INTERACTION_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "file_downloaded": "download",
        "file_uploaded": "upload",
        "file_shared": "share",
        "file_public_link_created": "share",
        "user_channel_join": "join",
        "public_channel_created": "create",
        "private_channel_created": "create",
    }
)

_LOGOUT_ACTIONS = frozenset({"user_logout", "user_session_invalidated"})
_SECURITY_ACTIONS = frozenset(
    {"anomaly", "file_downloaded_blocked", "file_malicious_content_detected"}
)
_ADMIN_PREFIXES = (
    "user_created",
    "user_deactivated",
    "user_reactivated",
    "user_email_updated",
    "user_session_reset_by_admin",
    "role_change_",
    "guest_",
    "owner_",
    "admin_",
    "emoji_",
    "app_",
    "workspace_",
    "organization_",
    "billing_",
    "pref_",
    "migration_",
)
_ADMIN_SUFFIXES = ("_usergroup",)

# The actor id Slack writes when no user performed the action.
_NO_USER_ID = "USLACKUSER"


class SlackAdapter:
    """Adapter from Slack audit-log entries to logins and file and channel interactions.

    `date_create` is epoch seconds, and milliseconds are accepted too. The user is
    `actor.user.email`, falling back to `actor.user.id`. The event id is the entry's `id`.
    """

    name: Final = "slack"

    def matches(self, record: JsonObject) -> bool:
        return all(key in record for key in ("date_create", "action", "actor"))

    def adapt(self, record: JsonObject) -> AdapterResult:
        action = get_text(record, "action")
        if action is None:
            return Rejected(RejectReason.MISSING_FIELD, "action is missing")

        # 1. Skip actors that are not people, then actions that are not counted.
        actor_type = get_text(record, "actor", "type")
        if actor_type is not None and actor_type != "user":
            return Ignored(
                IgnoreReason.NOT_A_USER, f"{action}: actor type {actor_type} is not a user"
            )
        if get_text(record, "actor", "user", "id") == _NO_USER_ID:
            return Ignored(IgnoreReason.NOT_A_USER, f"{action}: no user performed the action")
        build_event = _event_builder(record, action)
        if build_event is None:
            return _ignore(action)

        # 2. Read the fields every canonical event needs.
        user_value = get_path(record, "actor", "user", "email") or get_path(
            record, "actor", "user", "id"
        )
        user_id = read_user_id(user_value, "actor.user.email")
        if isinstance(user_id, Rejected):
            return user_id
        timestamp = read_timestamp(get_path(record, "date_create"), "date_create")
        if isinstance(timestamp, Rejected):
            return timestamp
        event_id = read_optional_id(get_path(record, "id")) or f"slack-{digest(record)}"

        return Mapped((build_event(event_id, user_id, timestamp),))


def _event_builder(record: JsonObject, action: str) -> EventBuilder | None:
    """Return a function of (event_id, user_id, timestamp) that builds the event, or None."""
    outcome = LOGIN_ACTIONS.get(action)
    if outcome is not None:
        return partial(LoginEvent, outcome=outcome)
    kind = INTERACTION_KINDS.get(action)
    if kind is None:
        return None
    return partial(
        InteractionEvent,
        kind=kind,
        app="slack",
        content_id=read_optional_id(get_path(record, "entity", "file", "id")),
        community_id=read_optional_id(get_path(record, "entity", "channel", "id")),
    )


def _ignore(action: str) -> Ignored:
    if action in _LOGOUT_ACTIONS:
        return Ignored(IgnoreReason.LOGOUT, f"{action} ends a session")
    if action in _SECURITY_ACTIONS:
        return Ignored(IgnoreReason.SECURITY_ALERT, f"{action} is a security alert")
    if action.startswith(_ADMIN_PREFIXES) or action.endswith(_ADMIN_SUFFIXES):
        return Ignored(IgnoreReason.ADMIN_ACTION, f"{action} is an administrative action")
    return Ignored(IgnoreReason.NOT_MAPPED, f"action {action!r} is not a mapped user action")
