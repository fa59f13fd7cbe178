"""Absence readers: CSV or JSONL rows of user_id, start, end (inclusive dates) and reason."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.directory.records import Absence, AbsenceLoadResult, Problem
from pipeline.directory.textfiles import iter_csv_rows, iter_json_objects
from pipeline.directory.values import normalize_user_id, parse_absence_reason, parse_date

# Accepted spellings of the date columns; the first of each pair is the documented one.
_START_KEYS = ("start", "start_date")
_END_KEYS = ("end", "end_date")


def read_absences(path: Path) -> AbsenceLoadResult:
    """Read absences from a .csv file or a JSON-lines file (.jsonl, .ndjson, .json).

    Rows with a missing user id, an invalid date, an end before the start or an unknown
    reason are skipped and reported. Identical rows are kept once.
    """
    file = str(path)
    problems: list[Problem] = []
    if path.suffix.lower() == ".csv":
        rows = iter_csv_rows(path, _missing_columns)
    else:
        rows = iter_json_objects(path, problems)
    seen: set[Absence] = set()
    absences: list[Absence] = []
    for line, row in rows:
        absence = _parse_row(row, file, line, problems)
        if absence is not None and absence not in seen:
            seen.add(absence)
            absences.append(absence)
    return AbsenceLoadResult(absences=absences, problems=problems)


def _parse_row(row: Mapping[str, Any], file: str, line: int, problems: list[Problem]) -> Absence | None:
    user_id = normalize_user_id(row.get("user_id"))
    if user_id is None:
        problems.append(Problem(file, line, None, "missing user id; row skipped"))
        return None
    raw_start = _first(row, _START_KEYS)
    raw_end = _first(row, _END_KEYS)
    start, start_reason = parse_date(raw_start)
    end, end_reason = parse_date(raw_end)
    reason, reason_problem = parse_absence_reason(row.get("reason"))

    if start is None:
        problems.append(Problem(file, line, _text(raw_start), (start_reason or "missing start date") + "; row skipped"))
        return None
    if end is None:
        problems.append(Problem(file, line, _text(raw_end), (end_reason or "missing end date") + "; row skipped"))
        return None
    if end < start:
        problems.append(Problem(file, line, f"{start}..{end}", "end date before start date; row skipped"))
        return None
    if reason is None:
        problems.append(Problem(file, line, _text(row.get("reason")), f"{reason_problem}; row skipped"))
        return None
    return Absence(user_id=user_id, start=start, end=end, reason=reason)  # type: ignore[arg-type]


def _first(row: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if row.get(key) not in (None, ""):
            return row[key]
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _missing_columns(header: list[str]) -> str | None:
    columns = set(header)
    if "user_id" in columns and columns & set(_START_KEYS) and columns & set(_END_KEYS) and "reason" in columns:
        return None
    return "an absence CSV needs the columns user_id, start, end and reason"
