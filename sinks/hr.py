"""HR warehouse tables (directory history, absences) and the DuckDB SQL for statuses and breakdowns.

Layout under the warehouse directory (DATA_DIR/warehouse):
    directory/loads/{load_seq:08d}_{effective}_{complete|partial}.parquet   one file per applied load
    directory/history.parquet     SCD type 2 history derived from all loads
    absences/absences.parquet     every stored absence
Each file is written under a temporary name and renamed into place, so a reader sees the old
or the new file, never half of one. Writers of the same table are serialised by a lock file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.directory.errors import SnapshotError
from pipeline.directory.history import derive_history
from pipeline.directory.records import PROFILE_FIELDS, Absence, Profile

DEFAULT_WINDOWS: tuple[int, ...] = (1, 7, 30, 365)
DEFAULT_GRACE_DAYS = 14
DEFAULT_EXCUSE_THRESHOLD = 0.5

# Statuses in precedence order: the first that applies wins.
STATUSES: tuple[str, ...] = (
    "disabled",
    "excluded",
    "onboarding",
    "excused",
    "active",
    "inactive",
    "never_active",
)
# Breakdown groups that are not directory values.
UNKNOWN_GROUP = "unknown"  # activity of user ids that have no directory row on the as-of day
FORMER_GROUP = "former"  # activity of users that left the directory or are disabled on the as-of day
UNASSIGNED_GROUP = "unassigned"  # people whose directory row leaves the dimension empty

DIMENSIONS: tuple[str, ...] = ("department", "team", "location", "country", "manager", "manager_subtree")

_PROFILE_TYPES = {
    "user_id": "VARCHAR",
    "display_name": "VARCHAR",
    "email": "VARCHAR",
    "department": "VARCHAR",
    "team": "VARCHAR",
    "manager_id": "VARCHAR",
    "location": "VARCHAR",
    "country": "VARCHAR",
    "employment_start": "DATE",
    "account_type": "VARCHAR",
    "enabled": "BOOLEAN",
}
_HISTORY_TYPES = {
    "user_id": "VARCHAR",
    "valid_from": "DATE",
    "valid_to": "DATE",
    **{name: kind for name, kind in _PROFILE_TYPES.items() if name != "user_id"},
    "in_directory": "BOOLEAN",
}
_ABSENCE_TYPES = {"user_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE", "reason": "VARCHAR"}
_USER_DAYS_TYPES = {
    "user_id": "VARCHAR",
    "day": "DATE",
    "logins": "BIGINT",
    "failed_logins": "BIGINT",
    "interactions": "BIGINT",
}


@dataclass(frozen=True)
class HrPaths:
    """File locations of the HR tables under one warehouse directory."""

    warehouse_dir: Path

    @property
    def directory_dir(self) -> Path:
        return self.warehouse_dir / "directory"

    @property
    def loads_dir(self) -> Path:
        return self.directory_dir / "loads"

    @property
    def history_file(self) -> Path:
        return self.directory_dir / "history.parquet"

    @property
    def absences_dir(self) -> Path:
        return self.warehouse_dir / "absences"

    @property
    def absences_file(self) -> Path:
        return self.absences_dir / "absences.parquet"

    @property
    def activity_glob(self) -> str:
        return str(self.warehouse_dir / "activity" / "*" / "*.parquet")


@dataclass(frozen=True)
class DirectoryLoad:
    """Profiles read from one source file, to apply on `effective`; `complete` marks a snapshot."""

    profiles: Sequence[Profile]
    effective: dt.date
    complete: bool
    source: str


@dataclass(frozen=True)
class LoadSummary:
    """Changes that one effective date brought to the history."""

    effective: dt.date
    listed: int
    new: int
    changed: int
    left: int


# ---------------------------------------------------------------------------------------------
# Writing


def store_directory_loads(warehouse_dir: Path, loads: Sequence[DirectoryLoad]) -> list[LoadSummary]:
    """Store each load and rebuild directory/history.parquet from every load stored so far.

    Loads may arrive in any order of effective date: the history is always derived from all
    of them. A complete load without profiles raises SnapshotError before anything is
    written, because it would mark every user as a leaver.
    """
    for load in loads:
        if load.complete and not load.profiles:
            raise SnapshotError(
                f"{load.source}: the snapshot effective {load.effective} lists no users; "
                "a snapshot must list the whole directory"
            )
    paths = HrPaths(warehouse_dir)
    paths.loads_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        with _locked(paths.directory_dir / ".lock"):

            # 1. Write each load as its own file, numbered after the loads already stored.
            next_seq = _last_load_seq(paths.loads_dir) + 1
            for offset, load in enumerate(loads):
                if not load.profiles:
                    continue
                seq = next_seq + offset
                kind = "complete" if load.complete else "partial"
                target = paths.loads_dir / f"{seq:08d}_{load.effective.isoformat()}_{kind}.parquet"
                _write_parquet(_profiles_relation(con, load, seq), target)

            # 2. Derive the history from all stored loads and replace the history file.
            if not any(paths.loads_dir.glob("*.parquet")):
                return []
            glob = _sql_string(str(paths.loads_dir / "*.parquet"))
            con.execute(f"CREATE TEMP VIEW directory_loads AS SELECT * FROM read_parquet({glob})")
            con.execute("CREATE TEMP TABLE new_history AS " + derive_history(con).sql_query())
            _write_parquet(con.table("new_history"), paths.history_file)

        effective_dates = sorted({load.effective for load in loads if load.profiles})
        return [_summarise(con, day) for day in effective_dates]
    finally:
        con.close()


def store_absences(warehouse_dir: Path, absences: Sequence[Absence], replace: bool = False) -> int:
    """Add absences to absences/absences.parquet, or replace its contents; return the stored count.

    Identical rows are stored once. With `replace`, the given absences become the complete
    list, which is how a cancelled absence is removed.
    """
    paths = HrPaths(warehouse_dir)
    paths.absences_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        with _locked(paths.absences_dir / ".lock"):
            new_rows = con.sql(
                "SELECT unnest($user_id::VARCHAR[]) AS user_id, unnest($start::DATE[]) AS start_date, "
                "unnest($end::DATE[]) AS end_date, unnest($reason::VARCHAR[]) AS reason",
                params={
                    "user_id": [a.user_id for a in absences],
                    "start": [a.start for a in absences],
                    "end": [a.end for a in absences],
                    "reason": [a.reason for a in absences],
                },
            )
            con.register("new_absences", new_rows)
            source = "SELECT * FROM new_absences"
            if paths.absences_file.exists() and not replace:
                stored = _sql_string(str(paths.absences_file))
                source += f" UNION SELECT * FROM read_parquet({stored})"
            combined = con.sql(f"SELECT DISTINCT * FROM ({source}) ORDER BY user_id, start_date, end_date, reason")
            _write_parquet(combined, paths.absences_file)
        return _count(con, f"SELECT count(*) FROM read_parquet({_sql_string(str(paths.absences_file))})")
    finally:
        con.close()


def _profiles_relation(con: duckdb.DuckDBPyConnection, load: DirectoryLoad, seq: int) -> duckdb.DuckDBPyRelation:
    columns = ", ".join(f"unnest(${name}::{_PROFILE_TYPES[name]}[]) AS {name}" for name in PROFILE_FIELDS)
    params: dict[str, object] = {
        name: [getattr(profile, name) for profile in load.profiles] for name in PROFILE_FIELDS
    }
    params.update({"load_seq": seq, "effective": load.effective, "complete": load.complete})
    return con.sql(
        f"SELECT $load_seq::BIGINT AS load_seq, $effective::DATE AS effective, "
        f"$complete::BOOLEAN AS complete, {columns}",
        params=params,
    )


def _summarise(con: duckdb.DuckDBPyConnection, effective: dt.date) -> LoadSummary:
    row = con.execute(
        """
        WITH versions AS (
            SELECT *, lag(in_directory) OVER (PARTITION BY user_id ORDER BY valid_from) AS was_listed
            FROM new_history
        )
        SELECT count(*) FILTER (WHERE in_directory AND valid_from <= $day AND (valid_to IS NULL OR $day < valid_to)),
               count(*) FILTER (WHERE valid_from = $day AND was_listed IS NULL),
               count(*) FILTER (WHERE valid_from = $day AND was_listed IS NOT NULL AND in_directory),
               count(*) FILTER (WHERE valid_from = $day AND NOT in_directory AND was_listed)
        FROM versions
        """,
        {"day": effective},
    ).fetchone()
    listed, new, changed, left = row or (0, 0, 0, 0)
    return LoadSummary(effective=effective, listed=listed, new=new, changed=changed, left=left)


def _last_load_seq(loads_dir: Path) -> int:
    numbers = [int(m.group(1)) for p in loads_dir.glob("*.parquet") if (m := re.match(r"(\d+)_", p.name))]
    return max(numbers, default=0)


def _write_parquet(relation: duckdb.DuckDBPyRelation, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        relation.write_parquet(str(temporary))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Views


def register_hr_views(con: duckdb.DuckDBPyConnection, warehouse_dir: Path) -> None:
    """Create temporary views directory_history, absences and, if missing, user_days on `con`.

    Works on read-only connections such as sinks.warehouse.connect_readonly(). A missing
    table file gives an empty view with the right columns. user_days is left alone when the
    connection already has it (the worker's views); otherwise it is built from the activity
    Parquet files with the contract's collapse rules.
    """
    paths = HrPaths(warehouse_dir)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW directory_history AS " + _file_or_empty(paths.history_file, _HISTORY_TYPES)
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW absences AS " + _file_or_empty(paths.absences_file, _ABSENCE_TYPES)
    )
    if not _relation_exists(con, "user_days"):
        con.execute("CREATE OR REPLACE TEMP VIEW user_days AS " + _user_days_sql(paths))


def hr_view_statements(warehouse_dir: Path) -> list[str]:
    """Return CREATE VIEW statements for directory_history and absences in a persistent database.

    Empty table files are written first when missing, so the views never point at a file
    that does not exist.
    """
    paths = HrPaths(warehouse_dir)
    for target, types in ((paths.history_file, _HISTORY_TYPES), (paths.absences_file, _ABSENCE_TYPES)):
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect()
            try:
                _write_parquet(con.sql(_empty_select(types)), target)
            finally:
                con.close()
    return [
        f"CREATE OR REPLACE VIEW directory_history AS SELECT * FROM read_parquet({_sql_string(str(paths.history_file))})",
        f"CREATE OR REPLACE VIEW absences AS SELECT * FROM read_parquet({_sql_string(str(paths.absences_file))})",
    ]


def connect_hr(warehouse_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Return `con` (or a new in-memory connection) with the HR views registered."""
    if con is None:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
    register_hr_views(con, warehouse_dir)
    return con


def _user_days_sql(paths: HrPaths) -> str:
    if not any(Path(paths.warehouse_dir / "activity").glob("*/*.parquet")):
        return _empty_select(_USER_DAYS_TYPES)
    # Files repeat a key with larger absolute values: keep the maximum, then sum over segments.
    # The grouping matches the worker's daily_activity view (sinks.warehouse).
    return f"""
        WITH collapsed AS (
            SELECT partition, user_id, day, segment, action, max(events) AS events
            FROM read_parquet({_sql_string(paths.activity_glob)})
            GROUP BY partition, user_id, day, segment, action
        )
        SELECT user_id, day,
               coalesce(sum(events) FILTER (WHERE action = 'login_success'), 0)::BIGINT AS logins,
               coalesce(sum(events) FILTER (WHERE action = 'login_failure'), 0)::BIGINT AS failed_logins,
               coalesce(sum(events) FILTER (WHERE action NOT IN ('login_success', 'login_failure')), 0)::BIGINT
                   AS interactions
        FROM collapsed
        GROUP BY user_id, day
    """


def _file_or_empty(path: Path, types: dict[str, str]) -> str:
    if path.exists():
        return f"SELECT * FROM read_parquet({_sql_string(str(path))})"
    return _empty_select(types)


def _empty_select(types: dict[str, str]) -> str:
    return "SELECT " + ", ".join(f"NULL::{kind} AS {name}" for name, kind in types.items()) + " WHERE false"


def _relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM (SELECT view_name AS name FROM duckdb_views() "
        "UNION ALL SELECT table_name FROM duckdb_tables()) WHERE name = $name",
        {"name": name},
    ).fetchone()
    return bool(found and found[0])


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, object] | None = None) -> int:
    row = con.execute(query, params or {}).fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------------------------
# Statuses and breakdowns


@dataclass(frozen=True)
class GroupCounts:
    """Status counts of one group in one window; population = active + inactive + never_active.

    For the groups "unknown" and "former" the population is 0 and `active` counts the user
    ids with activity in the window that are outside the directory population.
    """

    group: str
    window: str
    days: int
    population: int
    active: int
    inactive: int
    never_active: int
    excused: int
    onboarding: int

    @property
    def active_rate(self) -> float | None:
        """Active ÷ population, or None when the population is empty."""
        return self.active / self.population if self.population else None


# Relations used: directory_history, absences, user_days (see register_hr_views).
# Parameters: $as_of DATE, $windows INTEGER[], $grace INTEGER, $threshold DOUBLE.
_STATUS_SQL = """
WITH windows AS (
    SELECT unnest($windows::INTEGER[]) AS days
),
on_day AS (
    SELECT * FROM directory_history
    WHERE valid_from <= $as_of AND (valid_to IS NULL OR $as_of < valid_to)
),
activity AS (
    SELECT user_id,
           max(day) FILTER (WHERE logins + interactions > 0) AS last_activity,
           max(day) FILTER (WHERE logins > 0) AS last_login
    FROM user_days
    WHERE day <= $as_of
    GROUP BY user_id
),
ordered_absences AS (
    SELECT user_id, start_date, end_date,
           max(end_date) OVER (PARTITION BY user_id ORDER BY start_date, end_date
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM absences
    WHERE start_date <= $as_of
),
absence_islands AS (
    -- Overlapping or adjacent absences form one island, so no day is counted twice.
    SELECT *, sum(CASE WHEN previous_end IS NULL OR start_date > previous_end + 1 THEN 1 ELSE 0 END)
                  OVER (PARTITION BY user_id ORDER BY start_date, end_date) AS island
    FROM ordered_absences
),
merged_absences AS (
    SELECT user_id, min(start_date) AS start_date, max(end_date) AS end_date
    FROM absence_islands GROUP BY user_id, island
),
excused AS (
    SELECT a.user_id, w.days,
           bool_or(a.start_date <= $as_of AND $as_of <= a.end_date) AS covers_as_of,
           sum(least(a.end_date, $as_of) - greatest(a.start_date, $as_of - w.days + 1) + 1) AS absent_days
    FROM merged_absences AS a CROSS JOIN windows AS w
    WHERE a.end_date >= $as_of - w.days + 1
    GROUP BY a.user_id, w.days
),
directory_users AS (
    SELECT d.user_id, w.days,
           CASE
               WHEN NOT d.enabled THEN 'disabled'
               WHEN d.account_type <> 'person' THEN 'excluded'
               WHEN d.employment_start IS NOT NULL AND $as_of - d.employment_start < $grace THEN 'onboarding'
               WHEN e.covers_as_of OR e.absent_days >= $threshold * w.days THEN 'excused'
               WHEN a.last_activity >= $as_of - w.days + 1 THEN 'active'
               WHEN a.last_activity IS NOT NULL THEN 'inactive'
               ELSE 'never_active'
           END AS status,
           coalesce(a.last_activity >= $as_of - w.days + 1, false) AS active_in_window,
           a.last_activity, a.last_login,
           d.display_name, d.email, d.department, d.team, d.manager_id, d.location, d.country,
           d.employment_start, d.account_type, d.enabled, d.in_directory
    FROM on_day AS d
    CROSS JOIN windows AS w
    LEFT JOIN activity AS a ON a.user_id = d.user_id
    LEFT JOIN excused AS e ON e.user_id = d.user_id AND e.days = w.days
),
outside_users AS (
    SELECT a.user_id, w.days, 'unknown' AS status, true AS active_in_window,
           a.last_activity, a.last_login,
           NULL::VARCHAR AS display_name, NULL::VARCHAR AS email, NULL::VARCHAR AS department,
           NULL::VARCHAR AS team, NULL::VARCHAR AS manager_id, NULL::VARCHAR AS location,
           NULL::VARCHAR AS country, NULL::DATE AS employment_start, NULL::VARCHAR AS account_type,
           NULL::BOOLEAN AS enabled, NULL::BOOLEAN AS in_directory
    FROM activity AS a
    CROSS JOIN windows AS w
    ANTI JOIN on_day AS d ON d.user_id = a.user_id
    WHERE a.last_activity >= $as_of - w.days + 1
)
SELECT days::VARCHAR || 'd' AS window_label, * FROM directory_users
UNION ALL BY NAME
SELECT days::VARCHAR || 'd' AS window_label, * FROM outside_users
"""

# Pairs (manager_id, user_id) of every user below each manager on $as_of. UNION (not UNION
# ALL) drops pairs already found, so a reporting cycle ends the recursion instead of looping.
_SUBTREE_SQL = """
WITH RECURSIVE on_day AS (
    SELECT user_id, manager_id FROM directory_history
    WHERE valid_from <= $as_of AND (valid_to IS NULL OR $as_of < valid_to)
),
reports(manager_id, user_id) AS (
    SELECT manager_id, user_id FROM on_day WHERE manager_id IS NOT NULL
    UNION
    SELECT r.manager_id, d.user_id FROM reports AS r JOIN on_day AS d ON d.manager_id = r.user_id
)
SELECT manager_id, user_id FROM reports WHERE manager_id <> user_id
"""

_DIMENSION_COLUMNS = {
    "department": "department",
    "team": "team",
    "location": "location",
    "country": "country",
    "manager": "manager_id",
}

_COUNTS_SELECT = """
    SELECT group_name, window_label, days,
           count(*) FILTER (WHERE status IN ('active', 'inactive', 'never_active')) AS population,
           count(*) FILTER (WHERE status = 'active' OR outside) AS active,
           count(*) FILTER (WHERE status = 'inactive') AS inactive,
           count(*) FILTER (WHERE status = 'never_active') AS never_active,
           count(*) FILTER (WHERE status = 'excused') AS excused,
           count(*) FILTER (WHERE status = 'onboarding') AS onboarding
    FROM grouped
    GROUP BY group_name, window_label, days
    ORDER BY days, group_name
"""


def compute_statuses(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    grace_days: int = DEFAULT_GRACE_DAYS,
    excuse_threshold: float = DEFAULT_EXCUSE_THRESHOLD,
) -> duckdb.DuckDBPyRelation:
    """Compute each user's status per window as of `as_of` into the temporary table hr_user_status.

    One row per (directory user on `as_of`, window) plus one row per (user id outside the
    directory with activity in the window, window) with status "unknown". Statuses follow
    STATUSES precedence. Only activity on or before `as_of` is read. Returns the table.
    """
    _check_windows(windows)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE hr_user_status AS " + _STATUS_SQL,
        {"as_of": as_of, "windows": list(windows), "grace": grace_days, "threshold": excuse_threshold},
    )
    return con.table("hr_user_status")


def group_breakdown(con: duckdb.DuckDBPyConnection, dimension: str, as_of: dt.date) -> list[GroupCounts]:
    """Count statuses per group of `dimension` and window from hr_user_status (see compute_statuses).

    People count in the group of their directory row on `as_of`; an empty value gives the
    group "unassigned". manager groups a person under their direct manager's user id,
    manager_subtree under every manager above them. Active user ids outside the directory
    count under "unknown", active leavers and disabled accounts under "former".
    Non-person accounts and inactive leavers are not counted.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown breakdown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}")
    outside = f"""
        SELECT CASE WHEN status = 'unknown' THEN '{UNKNOWN_GROUP}' ELSE '{FORMER_GROUP}' END AS group_name,
               window_label, days, status, true AS outside
        FROM hr_user_status
        WHERE active_in_window AND (status = 'unknown' OR status = 'disabled')
    """
    people_filter = "status IN ('active', 'inactive', 'never_active', 'excused', 'onboarding')"
    if dimension == "manager_subtree":
        con.execute("CREATE OR REPLACE TEMP TABLE hr_subtree AS " + _SUBTREE_SQL, {"as_of": as_of})
        people = f"""
            SELECT t.manager_id AS group_name, s.window_label, s.days, s.status, false AS outside
            FROM hr_user_status AS s JOIN hr_subtree AS t ON t.user_id = s.user_id
            WHERE {people_filter}
        """
    else:
        column = _DIMENSION_COLUMNS[dimension]
        people = f"""
            SELECT coalesce({column}, '{UNASSIGNED_GROUP}') AS group_name, window_label, days, status, false AS outside
            FROM hr_user_status WHERE {people_filter}
        """
    query = f"WITH grouped AS ({people} UNION ALL {outside}) {_COUNTS_SELECT}"
    return [GroupCounts(*row) for row in con.execute(query).fetchall()]


def _check_windows(windows: Sequence[int]) -> None:
    if not windows or any(int(days) < 1 for days in windows):
        raise ValueError(f"windows must be positive numbers of days, got {list(windows)}")
