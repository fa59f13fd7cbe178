"""Detection of a file's format from its name and the field signatures of its first records."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Final

from pipeline.adapters.base import JsonObject
from pipeline.adapters.errors import FormatDetectionError, InvalidJsonError
from pipeline.adapters.jsonlines import RawRecord, read_records
from pipeline.adapters.registry import ADAPTERS

CANONICAL: Final = "canonical"
"""Returned for JSON records that already have the canonical fields."""

CSV: Final = "csv"
"""Returned for a file named `*.csv` or `*.csv.gz`, whatever it contains."""

DEFAULT_SAMPLE_SIZE: Final = 20
_MAX_FIELDS_LISTED: Final = 40


def is_canonical(record: JsonObject) -> bool:
    """Return whether a record has the canonical login or interaction fields."""
    return (
        "user_id" in record and "timestamp" in record and ("outcome" in record or "kind" in record)
    )


def detect_records(records: Sequence[JsonObject]) -> str | None:
    """Return the format that more than half of the records match, or None.

    The result is an adapter's format name or `CANONICAL`. None also covers a tie
    between two formats, which no registered signature produces on its own.
    """
    if not records:
        return None
    scores = {CANONICAL: sum(is_canonical(record) for record in records)}
    for name, adapter in ADAPTERS.items():
        scores[name] = sum(adapter.matches(record) for record in records)

    best = max(scores.values())
    winners = [name for name, score in scores.items() if score == best]
    if best * 2 <= len(records) or len(winners) != 1:
        return None
    return winners[0]


def detect_format(path: str | Path, sample_size: int = DEFAULT_SAMPLE_SIZE) -> str:
    """Return the format of a file: an adapter's format name, `CANONICAL` or `CSV`.

    The name decides for CSV files. Otherwise the first `sample_size` records are read
    as JSON lines or as a JSON array, and the format whose field signature more than
    half of them match wins. Raises FormatDetectionError naming the file and the fields
    seen when the file is not JSON or no format matches, and OSError when it cannot be read.
    """
    path = Path(path)
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes[-1:] == [".csv"] or suffixes[-2:] == [".csv", ".gz"]:
        return CSV

    sample = _read_sample(path, sample_size)
    records = [raw.value for raw in sample if raw.value is not None]
    if not records:
        first = sample[0]
        raise FormatDetectionError(
            f"{path}: record {first.position} is not a JSON object ({first.error}); expected "
            "JSON lines, a JSON array of objects, or a file named *.csv or *.csv.gz"
        )

    detected = detect_records(records)
    if detected is None:
        raise FormatDetectionError(
            f"{path}: no known format matches the first {len(records)} records; "
            f"fields seen: {_describe_fields(records)}. Known formats: "
            f"{', '.join((*ADAPTERS, CANONICAL, CSV))}. Pass --format NAME to choose one."
        )
    return detected


def _read_sample(path: Path, sample_size: int) -> list[RawRecord]:
    try:
        sample = list(islice(read_records(path), sample_size))
    except InvalidJsonError as exc:
        raise FormatDetectionError(str(exc)) from exc
    if not sample:
        raise FormatDetectionError(f"{path}: the file contains no JSON records")
    return sample


def _describe_fields(records: Sequence[JsonObject]) -> str:
    fields = sorted({key for record in records for key in record})
    listed = ", ".join(fields[:_MAX_FIELDS_LISTED])
    if len(fields) > _MAX_FIELDS_LISTED:
        listed += f" and {len(fields) - _MAX_FIELDS_LISTED} more"
    return listed
