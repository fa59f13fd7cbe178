"""Line-numbered readers of CSV and JSON-lines input files."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from pipeline.directory.errors import InputFormatError
from pipeline.directory.records import Problem


def iter_csv_rows(
    path: Path, check_header: Callable[[list[str]], str | None]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 CSV file with a header; a BOM is allowed.

    `check_header` returns an error text when the header lacks a needed column, which
    raises InputFormatError. The line number is that of the row's last physical line.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            error = check_header(header)
            if error:
                raise InputFormatError(f"{path}: {error}; the header is {header}")
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{path}: not valid UTF-8 ({exc}); save the file as UTF-8") from exc


def iter_json_objects(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) from a JSON-lines file; invalid lines become problems."""
    file = str(path)
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                doc = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problems.append(Problem(file, line, raw[:80].decode("utf-8", "replace"), f"invalid JSON: {exc}"))
                continue
            if not isinstance(doc, dict):
                problems.append(Problem(file, line, None, "line is not a JSON object; skipped"))
                continue
            yield line, doc
