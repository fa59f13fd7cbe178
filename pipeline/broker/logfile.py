"""Reading broker.log: the part one run wrote, and an excerpt of it for error messages."""

from __future__ import annotations

import re
from pathlib import Path

_ERROR_LINE = re.compile(r"^\[[^\]]+\] (ERROR|FATAL) ")
_MAX_ERRORS = 5
_TAIL_LINES = 15


def read_from(log_path: Path, offset: int) -> str:
    """Return what was appended to ``log_path`` after byte ``offset``; empty when the file is missing."""
    try:
        with log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def excerpt(log_path: Path, offset: int) -> str:
    """Return the first ERROR lines (each with the exception line after it) and the last lines.

    Kafka logs a long shutdown after a fatal error, so the cause is rarely among the last lines.
    """
    lines = read_from(log_path, offset).splitlines()
    if not lines:
        return "(the log is empty)"

    errors: list[str] = []
    for index, line in enumerate(lines):
        if len(errors) >= 2 * _MAX_ERRORS:
            break
        if _ERROR_LINE.match(line):
            errors.append(line)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following and not following.startswith("["):
                errors.append(following)

    tail = "\n".join(lines[-_TAIL_LINES:])
    if not errors:
        return f"Last lines:\n{tail}"
    return "First errors:\n" + "\n".join(errors) + f"\nLast lines:\n{tail}"
