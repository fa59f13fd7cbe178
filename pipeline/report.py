"""Active, login-active and known users per window, computed from the warehouse views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from agents.windows import WINDOWS_DAYS
from sinks.prometheus import window_label


@dataclass(frozen=True, slots=True)
class ActivityReport:
    """User counts as of one reporting day."""

    as_of: date
    known_users: int
    active_users: dict[str, int]
    login_active_users: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "known_users": self.known_users,
            "active_users": self.active_users,
            "login_active_users": self.login_active_users,
        }


def newest_activity_day(connection: duckdb.DuckDBPyConnection) -> date | None:
    """Return the newest day with any event: the replay clock's 'today'."""
    row = connection.execute("SELECT max(day) FROM daily_activity").fetchone()
    return row[0] if row else None


def today(connection: duckdb.DuckDBPyConnection) -> date:
    """Return today's date in the session's (reporting) time zone."""
    row = connection.execute("SELECT current_timestamp::DATE").fetchone()
    assert row is not None
    value = row[0]
    return value if isinstance(value, date) and not isinstance(value, datetime) else value.date()


def activity_report(connection: duckdb.DuckDBPyConnection, as_of: date) -> ActivityReport:
    """Count users per window; a window of N days covers the N calendar days ending ``as_of``."""
    known_row = connection.execute(
        "SELECT count(*) FROM users WHERE first_seen::DATE <= ?", [as_of]
    ).fetchone()
    active: dict[str, int] = {}
    login_active: dict[str, int] = {}
    for days in WINDOWS_DAYS:
        row = connection.execute(
            """
            SELECT count(DISTINCT user_id) FILTER (WHERE logins > 0 OR interactions > 0),
                   count(DISTINCT user_id) FILTER (WHERE logins > 0)
            FROM user_days
            WHERE day BETWEEN ?::DATE - ?::INTEGER + 1 AND ?::DATE
            """,
            [as_of, days, as_of],
        ).fetchone()
        assert row is not None
        active[window_label(days)] = int(row[0])
        login_active[window_label(days)] = int(row[1])
    return ActivityReport(as_of, int(known_row[0]) if known_row else 0, active, login_active)
