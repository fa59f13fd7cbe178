"""Warehouse figures: one flush of many users, a directory load and the time of typical queries."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from agents.processor import DayCalendar
from agents.state import UserState, apply_event
from pipeline.bench.workload import APPS, HISTORY_SECONDS, KINDS, user_id
from pipeline.cli.hr import build_report_by, open_reporting_connection
from pipeline.directory.records import Profile
from pipeline.events import InteractionEvent, LoginEvent
from sinks.hr import DirectoryLoad, store_directory_loads
from sinks.warehouse import FlushBatch, Warehouse

DEPARTMENTS = 40
TEAMS_PER_DEPARTMENT = 10
DIRECTORY_EFFECTIVE = dt.date(2020, 1, 1)

DAILY_ACTIVE_USERS_SQL = """
SELECT day,
       count(*) FILTER (WHERE logins + interactions > 0) AS active_users,
       sum(logins) AS logins
FROM user_days
GROUP BY day
ORDER BY day
"""

INACTIVE_USERS_SQL = """
SELECT user_id, last_activity, current_date - last_activity::DATE AS days_inactive
FROM users
WHERE last_activity < now() - INTERVAL 7 DAY OR last_activity IS NULL
ORDER BY last_activity NULLS FIRST
"""


def synthetic_states(users: int, now: float, seed: int = 11) -> list[UserState]:
    """Return the state of ``users`` users after one login and one interaction each, built by ``apply_event``.

    The events are in no topic, so the states record no applied positions (-1). A worker that
    restores them therefore has nothing to redeliver and nothing to flush.
    """
    draw = random.Random(seed)
    calendar = DayCalendar(ZoneInfo("UTC"))
    states = []
    for number in range(users):
        user = user_id(number)
        login = LoginEvent(f"l{number}", user, now - draw.random() * HISTORY_SECONDS, "success", "web")
        interaction = InteractionEvent(
            f"i{number}", user, now - draw.random() * HISTORY_SECONDS, draw.choice(KINDS), draw.choice(APPS)
        )
        state = apply_event(None, login, calendar.day(login.timestamp), 0, number)
        apply_event(state, interaction, calendar.day(interaction.timestamp), 1, number)
        state.positions = [-1, -1]
        states.append(state)
    return states


def time_flush(states: list[UserState], partitions: int, data_dir: Path) -> float:
    """Write every state through ``Warehouse.write``, one batch per partition as the worker does; return seconds.

    Users are spread over partitions by their number rather than by murmur2, because the split
    only decides how many files are written.
    """
    warehouse = Warehouse(data_dir, "UTC")
    warehouse.prepare()
    batches = [
        FlushBatch(
            partition,
            {user_id(number): states[number] for number in range(partition, len(states), partitions)},
            {"logins": len(states), "interactions": len(states)},
        )
        for partition in range(partitions)
    ]
    started = time.perf_counter()
    for batch in batches:
        warehouse.write(batch)
    return time.perf_counter() - started


def load_synthetic_directory(warehouse_dir: Path, users: int) -> float:
    """Store a directory snapshot listing ``users`` synthetic users in departments and teams; return seconds."""
    profiles = [
        Profile(
            user_id=user_id(number),
            display_name=f"Bench User {number}",
            department=f"Department {number % DEPARTMENTS:02d}",
            team=f"Team {number % (DEPARTMENTS * TEAMS_PER_DEPARTMENT):03d}",
            country="ES",
            employment_start=DIRECTORY_EFFECTIVE,
        )
        for number in range(users)
    ]
    started = time.perf_counter()
    store_directory_loads(warehouse_dir, [DirectoryLoad(profiles, DIRECTORY_EFFECTIVE, True, "benchmark")])
    return time.perf_counter() - started


def time_queries(data_dir: Path, as_of: dt.date, repeats: int) -> dict[str, float]:
    """Return the median seconds of each query over the views of ``data_dir`` and its directory.

    ``inactive_per_department`` is the `report --by department` computation: statuses of every
    directory user in the 1, 7, 30 and 365-day windows, counted per department.
    """
    connection = open_reporting_connection(data_dir, "UTC")
    connection.execute("SET enable_progress_bar = false")
    try:
        queries: dict[str, Callable[[], object]] = {
            "inactive_per_department": lambda: build_report_by(
                connection, data_dir / "warehouse", "department", as_of
            ),
            "daily_active_users": lambda: connection.execute(DAILY_ACTIVE_USERS_SQL).fetchall(),
            "inactive_users_7d": lambda: connection.execute(INACTIVE_USERS_SQL).fetchall(),
        }
        return {name: _median_seconds(query, repeats) for name, query in queries.items()}
    finally:
        connection.close()


def _median_seconds(query: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        query()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)
