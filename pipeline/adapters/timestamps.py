"""Parsing of audit-log timestamps into RFC 3339 strings in UTC."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from pipeline.adapters.errors import InvalidTimestampError

# A calendar date and a time of day, with an optional fraction and an optional zone.
# A space may stand in for the "T" (Mattermost: "2021-12-04 23:19:32.051 Z") and may
# precede the zone. Date-only values are not accepted, because they name no instant.
_ISO_PATTERN = re.compile(
    r"""
    (?P<date>\d{4}-\d{2}-\d{2})
    [T\ ]
    (?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)
    \s*
    (?P<zone>Z|z|[+-]\d{2}:?\d{2})?
    """,
    re.VERBOSE,
)

# Epoch values below this are seconds, then milliseconds, then microseconds.
# 1e11 seconds is the year 5138, and 1e11 milliseconds is 1973-03-03, so a
# millisecond value from before March 1973 would be read as seconds.
_MAX_EPOCH_SECONDS = 1e11
_MAX_EPOCH_MILLISECONDS = 1e14
_MAX_EPOCH_MICROSECONDS = 1e17
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(value: object, *, naive_means_utc: bool = False) -> datetime:
    """Parse an ISO 8601 / RFC 3339 string or an epoch number into an aware datetime.

    Strings must carry a UTC offset ("Z", "+00:00", "-05:00") unless `naive_means_utc`
    is true, which formats such as the Microsoft 365 audit log need because their
    `CreationTime` has no zone but is documented as UTC. Fractions finer than a
    microsecond are truncated. Numbers are epoch seconds, milliseconds or microseconds,
    distinguished by magnitude.

    Raises InvalidTimestampError naming the value when it cannot be read.
    """
    if isinstance(value, bool):
        raise InvalidTimestampError(f"invalid timestamp {value!r}: a boolean is not a time")
    if isinstance(value, int | float):
        return _parse_epoch(value)
    if isinstance(value, str):
        return _parse_iso(value, naive_means_utc=naive_means_utc)
    raise InvalidTimestampError(
        f"invalid timestamp {value!r}: expected an ISO 8601 string or epoch number, "
        f"got {type(value).__name__}"
    )


def format_timestamp(instant: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC, for example "2020-02-28T09:42:45+00:00"."""
    if instant.tzinfo is None:
        raise InvalidTimestampError(f"naive datetime {instant.isoformat()} has no UTC offset")
    return instant.astimezone(UTC).isoformat()


def _parse_iso(text: str, *, naive_means_utc: bool) -> datetime:
    match = _ISO_PATTERN.fullmatch(text.strip())
    if match is None:
        raise InvalidTimestampError(f"invalid timestamp {text!r}: expected ISO 8601 date and time")

    zone = match["zone"]
    if zone is None and not naive_means_utc:
        raise InvalidTimestampError(f"invalid timestamp {text!r}: no UTC offset")
    if zone is None or zone in ("Z", "z"):
        zone = "+00:00"

    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{zone}")
    except ValueError as exc:
        raise InvalidTimestampError(f"invalid timestamp {text!r}: {exc}") from exc
    return parsed


def _parse_epoch(number: float) -> datetime:
    if not math.isfinite(number):
        raise InvalidTimestampError(f"invalid epoch timestamp {number!r}")

    magnitude = abs(number)
    if magnitude < _MAX_EPOCH_SECONDS:
        offset = timedelta(seconds=number)
    elif magnitude < _MAX_EPOCH_MILLISECONDS:
        offset = timedelta(milliseconds=number)
    elif magnitude < _MAX_EPOCH_MICROSECONDS:
        offset = timedelta(microseconds=number)
    else:
        raise InvalidTimestampError(
            f"invalid epoch timestamp {number!r}: larger than any epoch value in microseconds"
        )

    try:
        return _EPOCH + offset
    except OverflowError as exc:
        raise InvalidTimestampError(f"invalid epoch timestamp {number!r}: {exc}") from exc
