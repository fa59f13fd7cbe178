"""Timestamp parsing for canonical events: RFC 3339 strings and epoch seconds or milliseconds."""

from __future__ import annotations

from datetime import datetime, tzinfo

# An epoch value above this many seconds is read as milliseconds: 10**11 seconds is the year 5138,
# while 10**11 milliseconds is 1973, so no real event is ambiguous.
EPOCH_MILLISECONDS_THRESHOLD = 10**11


class InvalidTimestamp(ValueError):
    """A timestamp could not be parsed; the message names the value."""


def parse_timestamp(value: object, source_zone: tzinfo) -> float:
    """Return the POSIX time in seconds of an RFC 3339 string or an epoch number.

    A string without an offset is read in ``source_zone`` (never the machine's local zone).
    Epoch numbers, and strings of digits, are seconds unless they exceed
    ``EPOCH_MILLISECONDS_THRESHOLD``, in which case they are milliseconds.
    """
    if isinstance(value, bool) or value is None:
        raise InvalidTimestamp(f"timestamp {value!r} is not a string or a number")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise InvalidTimestamp(f"timestamp {value!r} is not a string or a number")

    text = value.strip()
    if _looks_numeric(text):
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTimestamp(
            f"timestamp {value!r} is not RFC 3339 (e.g. '2010-01-04T08:15:00+01:00') or epoch seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=source_zone)
    seconds = parsed.timestamp()
    if seconds < 0:
        raise InvalidTimestamp(f"timestamp {value!r} is before 1970")
    return seconds


def _looks_numeric(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return body.replace(".", "", 1).isdigit()


def _from_epoch(number: float) -> float:
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidTimestamp(f"timestamp {number!r} is not a finite number")
    if number < 0:
        raise InvalidTimestamp(f"timestamp {number!r} is before 1970; epoch values must be positive")
    if number >= EPOCH_MILLISECONDS_THRESHOLD:
        return number / 1000.0
    return number
