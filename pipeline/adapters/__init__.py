"""Adapters from audit-log formats to canonical login and interaction events."""

from pipeline.adapters.base import (
    Adapter,
    AdapterResult,
    CanonicalEvent,
    Ignored,
    IgnoreReason,
    InteractionEvent,
    LoginEvent,
    Mapped,
    Rejected,
    RejectReason,
)
from pipeline.adapters.convert import adapt_bytes, adapt_file, adapt_record
from pipeline.adapters.detect import CANONICAL, CSV, detect_format, detect_records
from pipeline.adapters.errors import (
    AdapterError,
    AliasMapError,
    FormatDetectionError,
    UnknownFormatError,
)
from pipeline.adapters.identity import AliasMap, normalize_user_id
from pipeline.adapters.jsonlines import RawRecord, read_records
from pipeline.adapters.registry import format_names, get_adapter

__all__ = [
    "CANONICAL",
    "CSV",
    "Adapter",
    "AdapterError",
    "AdapterResult",
    "AliasMap",
    "AliasMapError",
    "CanonicalEvent",
    "FormatDetectionError",
    "IgnoreReason",
    "Ignored",
    "InteractionEvent",
    "LoginEvent",
    "Mapped",
    "RawRecord",
    "RejectReason",
    "Rejected",
    "UnknownFormatError",
    "adapt_bytes",
    "adapt_file",
    "adapt_record",
    "detect_format",
    "detect_records",
    "format_names",
    "get_adapter",
    "normalize_user_id",
    "read_records",
]
