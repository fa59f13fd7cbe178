"""The benchmark's printed table, with each figure checked against its target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """A figure's goal: ``meets`` returns whether a value reaches the goal that ``text`` states."""

    text: str
    meets: Callable[[float], bool]


TARGETS: dict[str, Target] = {
    "events_per_second": Target(">= 50,000", lambda value: value >= 50_000),
    "ratio": Target(">= 0.5", lambda value: value >= 0.5),
    "latency_p99_seconds": Target("<= 2 s", lambda value: value <= 2.0),
    "state_bytes_per_user": Target("<= 1 KiB", lambda value: value <= KIB),
    "restart_seconds": Target("<= 30 s", lambda value: value <= 30.0),
    "changelog_restore_seconds": Target("<= 30 s", lambda value: value <= 30.0),
    "flush_seconds": Target("<= 5 s", lambda value: value <= 5.0),
}

REQUIRED_KEYS: tuple[str, ...] = (
    "events_per_second",
    "events_per_second_processed",
    "raw_consumer_events_per_second",
    "ratio",
    "latency_p50_seconds",
    "latency_p99_seconds",
    "rss_bytes",
    "state_bytes_per_user",
    "restart_seconds",
    "changelog_restore_seconds",
    "flush_seconds",
    "query_seconds",
)


def format_table(results: dict[str, Any]) -> str:
    """Return one line per figure (per user count or query where a figure has several) with its target."""
    rows = [("figure", "value", "target", "")]
    for key in REQUIRED_KEYS:
        value = results.get(key)
        if isinstance(value, dict):
            for label, item in value.items():
                rows.append(_row(f"{key}[{label}]", key, item))
        else:
            rows.append(_row(key, key, value))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def _row(label: str, key: str, value: object) -> tuple[str, str, str, str]:
    target = TARGETS.get(key)
    if value is None:
        return (label, "-", target.text if target else "", "")
    number = float(value)  # type: ignore[arg-type]
    verdict = ""
    if target is not None:
        verdict = "met" if target.meets(number) else "MISSED"
    return (label, _format_value(key, number), target.text if target else "", verdict)


def _format_value(key: str, number: float) -> str:
    if key == "rss_bytes":
        return f"{number / MIB:,.0f} MiB"
    if key.endswith("_seconds") or key == "query_seconds":
        return f"{number:.3f} s"
    if key == "ratio":
        return f"{number:.3f}"
    if key == "state_bytes_per_user":
        return f"{number:,.0f} B"
    return f"{number:,.0f}"
