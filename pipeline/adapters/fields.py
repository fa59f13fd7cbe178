"""Helpers that read fields of parsed records and turn them into canonical values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import orjson

from pipeline.adapters.base import CanonicalEvent, JsonObject, Rejected, RejectReason
from pipeline.adapters.errors import InvalidTimestampError, InvalidUserIdError
from pipeline.adapters.identity import normalize_user_id
from pipeline.adapters.timestamps import format_timestamp, parse_timestamp
from pipeline.events import MAX_ID_LENGTH

EventBuilder: TypeAlias = Callable[[str, str, str], CanonicalEvent]
"""Builds a canonical event from (event_id, user_id, timestamp), once the adapter has
decided what kind of event a record is and before it reads those three fields."""


def get_path(record: JsonObject, *keys: str) -> Any:
    """Return the value at a path of nested object keys, or None when a key is missing."""
    value: Any = record
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def get_text(record: JsonObject, *keys: str) -> str | None:
    """Return the stripped string at a path, or None when it is missing, empty or not a string."""
    value = get_path(record, *keys)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def read_optional_id(value: object) -> str | None:
    """Return a content or community id as text, or None when it is missing or unusable.

    Strings are stripped but keep their case. Integers, and floats with an integral value
    (Yammer writes some ids as `3.6085768193E10`), become their decimal digits.
    """
    if isinstance(value, str):
        text = value.strip()
        return fit_id(text) if text else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return fit_id(str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def fit_id(text: str) -> str:
    """Return an id that the canonical event decoder accepts: the text itself, or a digest.

    The decoder rejects ids longer than MAX_ID_LENGTH characters, which a SharePoint URL
    used as a content id can exceed. Such an id is replaced by "sha256:" and the hex
    SHA-256 of its text, which stays stable and distinct.
    """
    if len(text) <= MAX_ID_LENGTH:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def read_optional_user_id(value: object) -> str | None:
    """Return a normalised user id, or None when the value cannot name a user."""
    try:
        user_id = normalize_user_id(value)
    except InvalidUserIdError:
        return None
    return user_id if len(user_id) <= MAX_ID_LENGTH else None


def read_user_id(value: object, field: str) -> str | Rejected:
    """Normalise a user id, or return a rejection naming the field.

    The reason is `missing_user_id` for an absent or empty id, and `invalid_field` for
    an id longer than the canonical decoder accepts.
    """
    try:
        user_id = normalize_user_id(value)
    except InvalidUserIdError as exc:
        return Rejected(RejectReason.MISSING_USER_ID, f"{field}: {exc}")
    if len(user_id) > MAX_ID_LENGTH:
        return Rejected(
            RejectReason.INVALID_FIELD,
            f"{field}: user id of {len(user_id)} characters is longer than {MAX_ID_LENGTH}",
        )
    return user_id


def read_timestamp(value: object, field: str, *, naive_means_utc: bool = False) -> str | Rejected:
    """Parse a timestamp into RFC 3339 in UTC, or return a rejection naming the field."""
    if value is None or value == "":
        return Rejected(RejectReason.MISSING_FIELD, f"{field} is missing")
    try:
        return format_timestamp(parse_timestamp(value, naive_means_utc=naive_means_utc))
    except InvalidTimestampError as exc:
        return Rejected(RejectReason.INVALID_TIMESTAMP, f"{field}: {exc}")


def digest(value: object, length: int = 32) -> str:
    """Return a stable hex SHA-256 digest of a JSON value, with object keys sorted."""
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # orjson rejects integers beyond 64 bits, which the standard library parser
        # produces. Such records are rare, and this encoding is stable for them too.
        encoded = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:length]
