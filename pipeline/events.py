"""The canonical login and interaction events, and their validation from raw Kafka bytes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import Any

import orjson

from pipeline.timestamps import InvalidTimestamp, parse_timestamp

LOGIN_OUTCOMES = frozenset({"success", "failure"})

INTERACTION_KINDS = frozenset(
    {
        "post", "comment", "reply", "like", "reaction", "mention", "share", "edit", "create",
        "delete", "upload", "download", "follow", "join", "view", "message", "call", "meeting",
        "vote",
    }
)  # fmt: skip

MAX_ID_LENGTH = 512


class RejectReason(StrEnum):
    """Reason an event went to the dead-letter topic, also the ``reason`` label of the reject counter."""

    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_USER_ID = "missing_user_id"
    KEY_MISMATCH = "key_mismatch"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    UNKNOWN_OUTCOME = "unknown_outcome"
    UNKNOWN_KIND = "unknown_kind"
    WRONG_PARTITION = "wrong_partition"
    PACKED_TOO_LARGE = "packed_too_large"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class LoginEvent:
    """A sign-in attempt; only a successful one counts as activity."""

    event_id: str
    user_id: str
    timestamp: float
    outcome: str
    client: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "success"


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """An action on content or people: a post, a like, a message and so on."""

    event_id: str
    user_id: str
    timestamp: float
    kind: str
    app: str
    content_id: str | None = None
    community_id: str | None = None
    target_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A raw event that failed validation, with a machine reason and a message for people."""

    reason: RejectReason
    detail: str


class _Invalid(Exception):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class EventDecoder:
    """Decode and validate raw JSON events.

    Timestamps without an offset are read in ``source_zone``; an event more than
    ``future_tolerance_seconds`` ahead of ``now()`` is rejected.
    """

    def __init__(
        self,
        source_zone: tzinfo,
        future_tolerance_seconds: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._source_zone = source_zone
        self._future_tolerance = future_tolerance_seconds
        self._now = now

    def decode_login(self, raw: bytes, key: bytes | None = None) -> LoginEvent | Rejection:
        """Validate one login; a ``key`` (the Kafka message key) must equal the user id."""
        try:
            return self._login(self._load(raw), key)
        except _Invalid as invalid:
            return Rejection(invalid.reason, invalid.detail)

    def decode_interaction(self, raw: bytes, key: bytes | None = None) -> InteractionEvent | Rejection:
        try:
            return self._interaction(self._load(raw), key)
        except _Invalid as invalid:
            return Rejection(invalid.reason, invalid.detail)

    def decode_record(self, record: object, is_login: bool) -> LoginEvent | InteractionEvent | Rejection:
        """Validate an already parsed JSON value, such as one element of a packed message."""
        try:
            if not isinstance(record, dict):
                raise _Invalid(
                    RejectReason.NOT_AN_OBJECT, f"value is a JSON {type(record).__name__}, not an object"
                )
            return self._login(record, None) if is_login else self._interaction(record, None)
        except _Invalid as invalid:
            return Rejection(invalid.reason, invalid.detail)

    def _login(self, record: dict[str, Any], key: bytes | None) -> LoginEvent:
        user_id, event_id, timestamp = self._common(record, key)
        outcome = record.get("outcome")
        if outcome not in LOGIN_OUTCOMES:
            raise _Invalid(
                RejectReason.UNKNOWN_OUTCOME,
                f"outcome {outcome!r} is not one of {sorted(LOGIN_OUTCOMES)}",
            )
        return LoginEvent(event_id, user_id, timestamp, outcome, _optional_text(record, "client"))

    def _interaction(self, record: dict[str, Any], key: bytes | None) -> InteractionEvent:
        user_id, event_id, timestamp = self._common(record, key)
        kind = record.get("kind")
        if kind not in INTERACTION_KINDS:
            raise _Invalid(
                RejectReason.UNKNOWN_KIND,
                f"kind {kind!r} is not one of {sorted(INTERACTION_KINDS)}",
            )
        app = _required_text(record, "app").lower()
        return InteractionEvent(
            event_id,
            user_id,
            timestamp,
            kind,
            app,
            _optional_text(record, "content_id"),
            _optional_text(record, "community_id"),
            _optional_text(record, "target_user_id"),
        )

    @staticmethod
    def _load(raw: bytes) -> dict[str, Any]:
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _Invalid(RejectReason.INVALID_JSON, f"value is not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise _Invalid(RejectReason.NOT_AN_OBJECT, f"value is a JSON {type(record).__name__}, not an object")
        return record

    def _common(self, record: dict[str, Any], key: bytes | None) -> tuple[str, str, float]:
        user_id = record.get("user_id")
        if user_id is None or (isinstance(user_id, str) and not user_id.strip()):
            raise _Invalid(RejectReason.MISSING_USER_ID, "user_id is missing or empty")
        if not isinstance(user_id, str) or len(user_id) > MAX_ID_LENGTH:
            raise _Invalid(RejectReason.INVALID_FIELD, f"user_id {user_id!r} is not a string of at most {MAX_ID_LENGTH} characters")
        user_id = user_id.strip()
        if key is not None and key.decode("utf-8", "replace") != user_id:
            raise _Invalid(
                RejectReason.KEY_MISMATCH,
                f"message key {key!r} differs from user_id {user_id!r}; produce each event with key=user_id",
            )

        event_id = _required_text(record, "event_id")
        if "timestamp" not in record:
            raise _Invalid(RejectReason.MISSING_FIELD, "timestamp is missing")
        try:
            timestamp = parse_timestamp(record["timestamp"], self._source_zone)
        except InvalidTimestamp as exc:
            raise _Invalid(RejectReason.INVALID_TIMESTAMP, str(exc)) from None

        ahead = timestamp - self._now()
        if ahead > self._future_tolerance:
            raise _Invalid(
                RejectReason.FUTURE_TIMESTAMP,
                f"timestamp {record['timestamp']!r} is {ahead:.0f} s in the future "
                f"(tolerance {self._future_tolerance:.0f} s); check the source clock or time zone",
            )
        return user_id, event_id, timestamp


def _required_text(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if value is None or value == "":
        raise _Invalid(RejectReason.MISSING_FIELD, f"{field} is missing or empty")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Invalid(RejectReason.INVALID_FIELD, f"{field} {value!r} is not a string")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise _Invalid(RejectReason.INVALID_FIELD, f"{field} is longer than {MAX_ID_LENGTH} characters")
    return text


def _optional_text(record: dict[str, Any], field: str) -> str | None:
    if record.get(field) in (None, ""):
        return None
    return _required_text(record, field)
