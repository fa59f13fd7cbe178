"""Adapter for Mattermost audit records, in the flat legacy layout and the `event_name` schema."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from types import MappingProxyType
from typing import Any, Final

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

STATUS_OUTCOMES: Mapping[str, Outcome] = MappingProxyType({"success": "success", "fail": "failure"})

POST_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "createPost": "post",
        "updatePost": "edit",
        "patchPost": "edit",
        "deletePost": "delete",
    }
)

_LOGOUT_EVENTS = frozenset({"Logout", "logout", "revokeSession", "revokeAllSessionsForUser"})
_ADMIN_EVENTS = frozenset(
    {
        "getConfig",
        "updateConfig",
        "patchConfig",
        "reloadConfig",
        "updateUserActive",
        "updateUserRoles",
        "deleteUser",
        "addTeamMembers",
        "removeTeamMember",
        "removeChannelMember",
        "patchTeam",
        "deleteTeam",
        "patchChannel",
        "deleteChannel",
        "convertChannelToPrivate",
        "restoreChannel",
    }
)
_PROFILE_EVENTS = frozenset({"patchUser", "updateUser"})


class MattermostAdapter:
    """Adapter from Mattermost audit records to logins, posts, channels, uploads and profile edits.

    A record's `status` is "success" or "fail". Failed actions other than logins changed
    nothing and are ignored. The user is the session user `user_id` (`actor.user_id`
    in the `event_name` schema). An empty user id is an error, with one exception: the
    server writes the `login` record before the session exists, so its `user_id` is
    empty and the authenticated user is in the `user` object, which is used instead.
    A failed login names no user id and is rejected.

    Records carry no id, so the event id is a digest of the whole record.
    """

    name: Final = "mattermost"

    def matches(self, record: JsonObject) -> bool:
        has_event = isinstance(record.get("event"), str) or "event_name" in record
        has_user = "user_id" in record or isinstance(record.get("actor"), dict)
        return has_event and has_user and "timestamp" in record and "status" in record

    def adapt(self, record: JsonObject) -> AdapterResult:
        event_name = _event_name(record)
        if event_name is None:
            return Rejected(RejectReason.MISSING_FIELD, "event (or event_name) is missing")
        status = (get_text(record, "status") or "").lower()

        # 1. Decide what the record is.
        build_event = _event_builder(record, event_name, status)
        if isinstance(build_event, Ignored):
            return build_event

        # 2. Read the fields every canonical event needs.
        user_id = read_user_id(_session_user_id(record, event_name), "user_id")
        if isinstance(user_id, Rejected):
            login_id = get_text(record, "login_id") or get_text(
                record, "event", "parameters", "login_id"
            )
            attempted = f" (login_id {login_id!r})" if login_id else ""
            return Rejected(user_id.reason, f"{event_name}: {user_id.detail}{attempted}")
        timestamp = read_timestamp(get_path(record, "timestamp"), "timestamp")
        if isinstance(timestamp, Rejected):
            return timestamp
        event_id = f"mattermost-{digest(record)}"

        # 3. A profile edit counts only when the user edits their own profile.
        if event_name in _PROFILE_EVENTS and _edited_user_id(record) not in (None, user_id):
            return Ignored(
                IgnoreReason.ADMIN_ACTION, f"{event_name}: the user edited another user's profile"
            )
        return Mapped((build_event(event_id, user_id, timestamp),))


def _event_name(record: JsonObject) -> str | None:
    legacy = record.get("event")
    if isinstance(legacy, str) and legacy.strip():
        return legacy.strip()
    return get_text(record, "event_name")


def _event_builder(record: JsonObject, event_name: str, status: str) -> EventBuilder | Ignored:
    """Return a function of (event_id, user_id, timestamp) that builds the event.

    Returns Ignored instead when the record is not a counted user action.
    """
    if event_name == "login":
        outcome = STATUS_OUTCOMES.get(status)
        if outcome is None:
            return Ignored(
                IgnoreReason.NOT_MAPPED, f"login with status {status!r} has no final outcome"
            )
        return partial(LoginEvent, outcome=outcome)

    if event_name in _LOGOUT_EVENTS:
        return Ignored(IgnoreReason.LOGOUT, f"{event_name} ends a session")
    if event_name in _ADMIN_EVENTS:
        return Ignored(IgnoreReason.ADMIN_ACTION, f"{event_name} is an administrative action")

    kind, content_id, community_id = _interaction_fields(record, event_name)
    if kind is None:
        return Ignored(IgnoreReason.NOT_MAPPED, f"event {event_name!r} is not a mapped user action")
    if status != "success":
        return Ignored(
            IgnoreReason.NOT_MAPPED, f"{event_name} with status {status!r} changed nothing"
        )
    return partial(
        InteractionEvent,
        kind=kind,
        app="profiles" if event_name in _PROFILE_EVENTS else "mattermost",
        content_id=content_id,
        community_id=community_id,
    )


def _interaction_fields(
    record: JsonObject, event_name: str
) -> tuple[str | None, str | None, str | None]:
    """Return (kind, content_id, community_id) of an interaction, or three Nones."""
    if event_name in POST_KINDS:
        post = _event_object(record, "post")
        kind = POST_KINDS[event_name]
        if kind == "post" and get_text(post, "root_id"):
            kind = "reply"
        content_id = read_optional_id(post.get("id")) or read_optional_id(
            _event_value(record, "post_id")
        )
        return kind, content_id, read_optional_id(post.get("channel_id"))
    if event_name == "createChannel":
        channel = _event_object(record, "channel")
        return "create", None, read_optional_id(channel.get("id"))
    if event_name.startswith("uploadFile"):
        return "upload", None, read_optional_id(_event_value(record, "channel_id"))
    if event_name in _PROFILE_EVENTS:
        return "edit", None, None
    return None, None, None


def _session_user_id(record: JsonObject, event_name: str) -> Any:
    user_id = record.get("user_id")
    if user_id is None:
        user_id = get_path(record, "actor", "user_id")
    if event_name == "login" and not (isinstance(user_id, str) and user_id.strip()):
        # The login record is written before a session exists, and the server adds the
        # authenticated user as "user" only after the password check passed.
        # NOTE: only the legacy layout is handled. Where the event_name schema puts the
        # authenticated user of a login is not confirmed against a sample.
        return get_path(record, "user", "id")
    return user_id


def _edited_user_id(record: JsonObject) -> str | None:
    patched = _event_object(record, "patch")
    return read_optional_id(patched.get("id")) or read_optional_id(get_path(record, "user", "id"))


def _event_object(record: JsonObject, key: str) -> Mapping[str, Any]:
    """Return an object that the legacy layout puts at the top level and the newer one
    under event.parameters, or an empty mapping."""
    value = record.get(key)
    if not isinstance(value, Mapping):
        value = get_path(record, "event", "parameters", key)
    return value if isinstance(value, Mapping) else {}


def _event_value(record: JsonObject, key: str) -> Any:
    value = record.get(key)
    if value is None:
        value = get_path(record, "event", "parameters", key)
    return value
