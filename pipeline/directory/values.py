"""Parsing of single directory field values; each parser returns the value or a rejection reason."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.directory.records import ABSENCE_REASONS, ACCOUNT_TYPES

_TRUE = frozenset({"true", "1", "yes", "y", "t", "si", "sí", "enabled", "active"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "disabled", "inactive", "suspended"})

# Source spellings of account types, compared after casefold(). Entra ID's userType is Member or Guest.
_ACCOUNT_TYPE_ALIASES = {
    "member": "person",
    "employee": "person",
    "user": "person",
    "human": "person",
    "external": "guest",
    "service account": "service",
    "service_account": "service",
    "application": "service",
}

_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str | None:
    """Strip a text value; empty strings and None become None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalize_user_id(value: object) -> str | None:
    """Strip a user id and lower-case it when it is an e-mail address or UPN, as events do."""
    text = clean_text(value)
    if text is None:
        return None
    return text.lower() if "@" in text else text


def normalize_email(value: object) -> str | None:
    """Strip and lower-case an e-mail address."""
    text = clean_text(value)
    return text.lower() if text else None


def normalize_display_name(value: str) -> str:
    """Key for matching display names: case-folded, inner white space collapsed."""
    return _SPACES.sub(" ", value.strip()).casefold()


def parse_bool(value: object) -> tuple[bool | None, str | None]:
    """Parse true/false spellings; None when the value is empty."""
    if isinstance(value, bool):
        return value, None
    text = clean_text(value)
    if text is None:
        return None, None
    folded = text.casefold()
    if folded in _TRUE:
        return True, None
    if folded in _FALSE:
        return False, None
    return None, "invalid boolean, expected true or false"


def parse_date(value: object) -> tuple[dt.date | None, str | None]:
    """Parse an ISO 8601 date, or the date part of an ISO 8601 date-time."""
    text = clean_text(value)
    if text is None:
        return None, None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date(), None
    except ValueError:
        return None, "invalid date, expected YYYY-MM-DD"


def parse_account_type(value: object) -> tuple[str | None, str | None]:
    """Map an account type or a known alias to person, service, bot or guest."""
    text = clean_text(value)
    if text is None:
        return None, None
    folded = text.casefold()
    if folded in ACCOUNT_TYPES:
        return folded, None
    if folded in _ACCOUNT_TYPE_ALIASES:
        return _ACCOUNT_TYPE_ALIASES[folded], None
    return None, "invalid account type, expected one of " + ", ".join(ACCOUNT_TYPES)


def parse_absence_reason(value: object) -> tuple[str | None, str | None]:
    """Check an absence reason against vacation, sick, parental and other."""
    text = clean_text(value)
    if text is None:
        return None, "missing absence reason"
    folded = text.casefold()
    if folded in ABSENCE_REASONS:
        return folded, None
    return None, "invalid absence reason, expected one of " + ", ".join(ABSENCE_REASONS)
