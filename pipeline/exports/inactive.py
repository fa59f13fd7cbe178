"""The list of inactive and never-active people, with status counts per group."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb

from sinks.hr import (
    DEFAULT_EXCUSE_THRESHOLD,
    DEFAULT_GRACE_DAYS,
    GroupCounts,
    compute_statuses,
    group_breakdown,
)

EXPORT_DIMENSIONS: tuple[str, ...] = ("department", "team", "manager", "location", "country")

# Order of the people sheet's columns; the keys are also the i18n column keys.
ROW_FIELDS: tuple[str, ...] = (
    "user_id",
    "display_name",
    "email",
    "department",
    "team",
    "manager_name",
    "location",
    "country",
    "last_login",
    "last_activity",
    "days_since_last_activity",
    "status",
)


@dataclass(frozen=True)
class InactiveRow:
    """One person to contact: inactive (active before the window) or never active."""

    user_id: str
    display_name: str | None
    email: str | None
    department: str | None
    team: str | None
    manager_name: str | None
    location: str | None
    country: str | None
    last_login: dt.date | None
    last_activity: dt.date | None
    days_since_last_activity: int | None
    status: str


@dataclass(frozen=True)
class InactiveExport:
    """Inactive people and per-group counts for one window as of one day."""

    as_of: dt.date
    days: int
    by: str
    rows: list[InactiveRow]
    counts: list[GroupCounts]


# Relations used: hr_user_status (compute_statuses) and directory_history.
_ROWS_SQL = """
WITH manager_names AS (
    -- The manager's name on the as-of day, or the last name known before it.
    SELECT user_id, display_name FROM directory_history
    WHERE valid_from <= $as_of
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY valid_from DESC) = 1
)
SELECT s.user_id, s.display_name, s.email, s.department, s.team,
       coalesce(m.display_name, s.manager_id) AS manager_name,
       s.location, s.country, s.last_login, s.last_activity,
       $as_of - s.last_activity AS days_since_last_activity,
       s.status
FROM hr_user_status AS s
LEFT JOIN manager_names AS m ON m.user_id = s.manager_id
WHERE s.days = $days AND s.status IN ('inactive', 'never_active')
"""

_SORT_COLUMNS = {
    "department": "department",
    "team": "team",
    "manager": "manager_name",
    "location": "location",
    "country": "country",
}


def build_inactive_export(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    days: int,
    by: str = "department",
    grace_days: int = DEFAULT_GRACE_DAYS,
    excuse_threshold: float = DEFAULT_EXCUSE_THRESHOLD,
) -> InactiveExport:
    """Build the export for the window of `days` days ending on `as_of`.

    `con` needs the views of sinks.hr.register_hr_views. Rows are sorted by the `by` group,
    then inactive before never active, then longest silence first, then name. For `by`
    manager, groups in the counts are labelled "Name (user id)".
    """
    if by not in EXPORT_DIMENSIONS:
        raise ValueError(f"cannot group the export by {by!r}; expected one of {', '.join(EXPORT_DIMENSIONS)}")
    compute_statuses(con, as_of, windows=(days,), grace_days=grace_days, excuse_threshold=excuse_threshold)

    sort_column = _SORT_COLUMNS[by]
    query = (
        f"SELECT * FROM ({_ROWS_SQL}) ORDER BY {sort_column} NULLS LAST, status, "
        "days_since_last_activity DESC NULLS FIRST, display_name, user_id"
    )
    rows = [InactiveRow(*row) for row in con.execute(query, {"as_of": as_of, "days": days}).fetchall()]

    counts = group_breakdown(con, by, as_of)
    if by == "manager":
        counts = _label_managers(con, counts, as_of)
    return InactiveExport(as_of=as_of, days=days, by=by, rows=rows, counts=counts)


def _label_managers(
    con: duckdb.DuckDBPyConnection, counts: list[GroupCounts], as_of: dt.date
) -> list[GroupCounts]:
    names = dict(
        con.execute(
            "SELECT user_id, display_name FROM directory_history WHERE valid_from <= $as_of AND display_name IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY valid_from DESC) = 1",
            {"as_of": as_of},
        ).fetchall()
    )
    return [replace(c, group=f"{names[c.group]} ({c.group})") if c.group in names else c for c in counts]
