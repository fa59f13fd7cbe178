"""Adapters return a result, never raise, when fields of a real record hold unexpected values."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.adapters import Ignored, Mapped, Rejected, get_adapter, read_records

from .samples import AUDIT_LOG_FORMATS, format_sample

JUNK_VALUES: tuple[Any, ...] = (
    None, "", "  ", 0, -1, 2**70, 1.5, 1e300, True, [], {}, [{}], "garbage",
)  # fmt: skip
RECORDS_PER_FILE = 6


def _varied_records(file_name: str) -> list[dict[str, Any]]:
    """Return up to RECORDS_PER_FILE records of a sample with distinct keys or actions."""
    chosen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for raw in read_records(format_sample(file_name)):
        record = raw.value
        if record is None:
            continue
        action = tuple(
            str(record.get(key)) for key in ("Operation", "eventType", "action", "event")
        )
        chosen.setdefault((frozenset(record), action), record)
        if len(chosen) == RECORDS_PER_FILE:
            break
    return list(chosen.values())


def _mutations(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield copies of the record with one top-level or second-level value replaced."""
    for key, value in record.items():
        for junk in JUNK_VALUES:
            mutated = copy.deepcopy(record)
            mutated[key] = junk
            yield mutated
        if isinstance(value, dict):
            for inner_key in value:
                for junk in JUNK_VALUES:
                    mutated = copy.deepcopy(record)
                    mutated[key][inner_key] = junk
                    yield mutated


@pytest.mark.parametrize("file_name", sorted(AUDIT_LOG_FORMATS))
def test_adapter_never_raises_on_junk(file_name: str) -> None:
    adapter = get_adapter(AUDIT_LOG_FORMATS[file_name])
    records = _varied_records(file_name)
    assert records

    checked = 0
    for record in records:
        for mutated in _mutations(record):
            result = adapter.adapt(mutated)
            assert isinstance(result, Mapped | Ignored | Rejected), (mutated, result)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("format_name", sorted(set(AUDIT_LOG_FORMATS.values())))
@pytest.mark.parametrize("record", [{}, {"id": None}, {"actor": "x", "events": 3, "target": "["}])
def test_adapter_handles_empty_records(format_name: str, record: dict[str, Any]) -> None:
    result = get_adapter(format_name).adapt(record)
    assert isinstance(result, Ignored | Rejected)
