"""Adapter for the Okta System Log, in Okta's nested JSON and in Microsoft Sentinel's flat form."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import orjson

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
    digest,
    fit_id,
    get_path,
    get_text,
    read_optional_id,
    read_optional_user_id,
    read_timestamp,
    read_user_id,
)

SESSION_START = "user.session.start"
SINGLE_SIGN_ON = "user.authentication.sso"
PROFILE_UPDATE = "user.account.update_profile"

OUTCOMES: Mapping[str, Outcome] = MappingProxyType({"SUCCESS": "success", "FAILURE": "failure"})

# Steps inside one sign-in. The sign-in itself is user.session.start.
_AUTHENTICATION_STEP_PREFIXES = (
    "user.authentication.",
    "user.mfa.",
    "system.sms.",
    "system.voice.",
)
_AUTHENTICATION_STEP_TYPES = frozenset({"policy.evaluate_sign_on"})

# Changes to the organisation's configuration, apps, groups and policies.
_ADMIN_PREFIXES = (
    "application.",
    "app.",
    "group.",
    "policy.",
    "oauth2.",
    "directory.",
    "user.lifecycle.",
    "zone.",
    "network_zone.",
    "iam.",
    "org.",
)
_ADMIN_TYPES = frozenset({"user.session.access_admin_app"})

_SECURITY_PREFIXES = ("security.", "user.risk.")


class OktaAdapter:
    """Adapter from Okta System Log events to logins and profile edits.

    `user.session.start` (a sign-in to Okta) and `user.authentication.sso` (a sign-in
    to an app through Okta, with the app's name as `client`) become logins whose
    outcome is `outcome.result` SUCCESS or FAILURE. A user's edit of their own profile
    (`user.account.update_profile`) becomes an `edit` interaction in `profiles`. Every
    other event type is ignored with a reason.

    The user is `actor.alternateId` (the Okta login, usually an e-mail address),
    falling back to `actor.id`. The event id is `uuid:eventType:published`, because
    `uuid` alone repeats across distinct events in exported data. A record that Sentinel
    ingested twice keeps the same id, so a consumer can drop the copy.
    """

    name: Final = "okta"

    def matches(self, record: JsonObject) -> bool:
        native = (
            "eventType" in record
            and "published" in record
            and isinstance(record.get("actor"), dict)
        )
        sentinel = (
            "eventType" in record and "published_t" in record and "actor_alternateId" in record
        )
        return native or sentinel

    def adapt(self, record: JsonObject) -> AdapterResult:
        event = _OktaFields(record)
        event_type = event.event_type
        if event_type is None:
            return Rejected(RejectReason.MISSING_FIELD, "eventType is missing")

        # 1. Skip actors that are not people, then event types that are not counted.
        actor_type = event.actor_type
        if actor_type is not None and actor_type != "User":
            return Ignored(
                IgnoreReason.NOT_A_USER, f"{event_type}: actor type {actor_type} is not a user"
            )
        if event_type not in (SESSION_START, SINGLE_SIGN_ON, PROFILE_UPDATE):
            return _ignore(event_type)

        # 2. Read the fields every canonical event needs.
        user_id = read_user_id(event.actor_login, "actor.alternateId")
        if isinstance(user_id, Rejected):
            return user_id
        timestamp = read_timestamp(event.published, "published")
        if isinstance(timestamp, Rejected):
            return timestamp
        uuid = read_optional_id(event.uuid)
        if uuid:
            event_id = fit_id(f"{uuid.lower()}:{event_type}:{timestamp}")
        else:
            event_id = f"okta-{digest(record)}"

        # 3. Build the event.
        if event_type == PROFILE_UPDATE:
            return _profile_edit(event, event_id, user_id, timestamp)
        outcome = OUTCOMES.get(event.result or "")
        if outcome is None:
            return Rejected(
                RejectReason.UNKNOWN_OUTCOME,
                f"{event_type}: outcome.result {event.result!r} is neither SUCCESS nor FAILURE",
            )
        client = event.app_name if event_type == SINGLE_SIGN_ON else None
        return Mapped((LoginEvent(event_id, user_id, timestamp, outcome, client=client),))


class _OktaFields:
    """Field access that works on both the nested and the Sentinel layout."""

    def __init__(self, record: JsonObject) -> None:
        self._record = record
        self._flat = "published_t" in record or "actor_alternateId" in record

    def _get(self, nested: tuple[str, ...], flat: str) -> Any:
        if self._flat:
            return self._record.get(flat)
        return get_path(self._record, *nested)

    @property
    def event_type(self) -> str | None:
        return get_text(self._record, "eventType")

    @property
    def actor_type(self) -> str | None:
        value = self._get(("actor", "type"), "actor_type")
        return value.strip() if isinstance(value, str) and value.strip() else None

    @property
    def actor_login(self) -> Any:
        login = self._get(("actor", "alternateId"), "actor_alternateId")
        if isinstance(login, str) and login.strip() and login.strip().lower() != "unknown":
            return login
        return self._get(("actor", "id"), "actor_id")

    @property
    def actor_id(self) -> str | None:
        return read_optional_id(self._get(("actor", "id"), "actor_id"))

    @property
    def published(self) -> Any:
        return self._get(("published",), "published_t")

    @property
    def result(self) -> str | None:
        value = self._get(("outcome", "result"), "outcome_result")
        return value.strip().upper() if isinstance(value, str) else None

    @property
    def uuid(self) -> Any:
        return self._get(("uuid",), "uuid_g")

    @property
    def targets(self) -> list[dict[str, Any]]:
        value = self._record.get("target")
        if isinstance(value, str):
            # Sentinel stores the target list as a JSON string.
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return []
        if not isinstance(value, list):
            return []
        return [target for target in value if isinstance(target, dict)]

    @property
    def app_name(self) -> str | None:
        for target in self.targets:
            if target.get("type") == "AppInstance":
                return get_text(target, "displayName") or get_text(target, "alternateId")
        return None


def _profile_edit(event: _OktaFields, event_id: str, user_id: str, timestamp: str) -> AdapterResult:
    user_targets = [target for target in event.targets if target.get("type") == "User"]
    actor_id = event.actor_id
    for target in user_targets:
        target_id = read_optional_id(target.get("id"))
        target_login = read_optional_user_id(target.get("alternateId"))
        if target_id != actor_id and target_login != user_id:
            return Ignored(
                IgnoreReason.ADMIN_ACTION,
                f"{PROFILE_UPDATE}: the actor edited another user's profile",
            )
    if event.result != "SUCCESS":
        return Ignored(
            IgnoreReason.NOT_MAPPED, f"{PROFILE_UPDATE}: outcome {event.result!r} changed nothing"
        )
    return Mapped((InteractionEvent(event_id, user_id, timestamp, "edit", "profiles"),))


def _ignore(event_type: str) -> Ignored:
    if event_type == "user.session.end":
        return Ignored(IgnoreReason.LOGOUT, "user.session.end is a logout")
    if event_type in _AUTHENTICATION_STEP_TYPES or event_type.startswith(
        _AUTHENTICATION_STEP_PREFIXES
    ):
        return Ignored(
            IgnoreReason.AUTHENTICATION_STEP,
            f"{event_type} is a step of a sign-in, which user.session.start records",
        )
    if event_type in _ADMIN_TYPES or event_type.startswith(_ADMIN_PREFIXES):
        return Ignored(IgnoreReason.ADMIN_ACTION, f"{event_type} is an administrative event")
    if event_type.startswith(_SECURITY_PREFIXES):
        return Ignored(IgnoreReason.SECURITY_ALERT, f"{event_type} is a security alert")
    if event_type.startswith("system."):
        return Ignored(IgnoreReason.SYSTEM_EVENT, f"{event_type} is a system event")
    return Ignored(
        IgnoreReason.NOT_MAPPED, f"event type {event_type!r} is not a mapped user action"
    )
