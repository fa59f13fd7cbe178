"""Exceptions raised by the audit-log adapters."""

from __future__ import annotations

from pipeline.errors import SocialiticaError


class AdapterError(SocialiticaError):
    """Base class of every error raised by `pipeline.adapters`."""


class UnknownFormatError(AdapterError, LookupError):
    """A format name that no adapter is registered under."""


class FormatDetectionError(AdapterError):
    """A file whose first records match no known format."""


class AliasMapError(AdapterError, ValueError):
    """An alias file or dict that is invalid: a bad row, an empty value or a conflict."""


class InvalidTimestampError(AdapterError, ValueError):
    """A timestamp that cannot be read as an instant with a known UTC offset."""


class InvalidUserIdError(AdapterError, ValueError):
    """A user id that is missing, empty or of a type that cannot name a user."""


class InvalidJsonError(AdapterError, ValueError):
    """Bytes that are not valid JSON, or a JSON array file that cannot be parsed."""


class NotAnObjectError(InvalidJsonError):
    """Valid JSON whose value is not an object, such as a number or an array."""
