"""Test support for the HR tests: shared input data, warehouse builders and an independent CERT count.

The independent count reads the raw CERT files with plain DuckDB SQL written from the
definitions. It never calls product code, so the replay tests compare two separate
computations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest

from pipeline.directory.loaders import CERT_LDAP_MAPPING, read_directory
from pipeline.directory.records import Profile
from sinks.hr import DirectoryLoad, store_directory_loads

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CERT_DIR = SHARED_DATA / "cert-r4.2"
CERT_LDAP_DIR = CERT_DIR / "ldap"
CERT_EMAIL = CERT_DIR / "email_sent_2010-01_to_2011-05.csv.gz"
FORMATS_DIR = SHARED_DATA / "formats"


def require(path: Path) -> Path:
    """Return `path`, or skip the test when the shared input data is not next to the repository."""
    if not path.exists():
        pytest.skip(f"shared input data not found at {path} (expected at ../shared/data from the repository root)")
    return path


def write_activity(warehouse: Path, rows: Iterable[tuple[str, dt.date, str, int]], seq: int = 1) -> Path:
    """Write `activity` rows (user_id, day, action, events) as one flush file of partition 0."""
    target = warehouse / "activity" / "p0" / f"{seq:020d}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    con = duckdb.connect()
    try:
        con.sql(
            "SELECT 0::INTEGER AS partition, unnest($u::VARCHAR[]) AS user_id, unnest($d::DATE[]) AS day, "
            "0::BIGINT AS segment, "
            "unnest($a::VARCHAR[]) AS action, unnest($e::BIGINT[]) AS events",
            params={
                "u": [r[0] for r in rows],
                "d": [r[1] for r in rows],
                "a": [r[2] for r in rows],
                "e": [r[3] for r in rows],
            },
        ).write_parquet(str(target))
    finally:
        con.close()
    return target


def write_cert_activity(warehouse: Path) -> None:
    """Write the CERT e-mail log as `activity`: one `message` interaction per e-mail sent.

    Timestamps are MM/DD/YYYY HH:MM:SS local time without a zone. They are read as UTC,
    the reporting zone of these tests, so the day is the date part.
    """
    target = warehouse / "activity" / "p0" / f"{1:020d}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.sql(
            """
            SELECT 0::INTEGER AS partition, "user" AS user_id, strptime(date, '%m/%d/%Y %H:%M:%S')::DATE AS day,
                   0::BIGINT AS segment, 'message' AS action, count(*)::BIGINT AS events
            FROM read_csv($path, header = true, columns = {'date': 'VARCHAR', 'user': 'VARCHAR'})
            GROUP BY ALL
            """,
            params={"path": str(CERT_EMAIL)},
        ).write_parquet(str(target))
    finally:
        con.close()


def load_cert_snapshots(warehouse: Path) -> None:
    """Store the 18 CERT LDAP snapshots, each effective on the 1st of its month."""
    loads = []
    for path in sorted(CERT_LDAP_DIR.glob("*.csv")):
        year, month = (int(part) for part in path.stem.split("-"))
        result = read_directory(path, "csv", CERT_LDAP_MAPPING)
        loads.append(DirectoryLoad(result.profiles, dt.date(year, month, 1), True, str(path)))
    store_directory_loads(warehouse, loads)


def build_cert_warehouse(warehouse: Path) -> Path:
    """Build a warehouse with the CERT directory history and e-mail activity."""
    require(CERT_EMAIL)
    require(CERT_LDAP_DIR)
    load_cert_snapshots(warehouse)
    write_cert_activity(warehouse)
    return warehouse


def person(user_id: str, **fields: object) -> Profile:
    """Return a profile with a department, a team and a display name derived from the id."""
    values: dict[str, object] = {"display_name": f"Name {user_id}", "department": "Sales", "team": "North"}
    values.update(fields)
    return Profile(user_id=user_id, **values)  # type: ignore[arg-type]


class RawCertCounts:
    """Counts per department taken from the raw CERT files, independently of the product code.

    Definitions: the directory on the as-of day is the snapshot of that month (effective on
    the 1st). Everyone in it is an enabled person. Active = an e-mail sent on a day in
    [as_of - days + 1, as_of]; inactive = not active but an e-mail on an earlier day; never
    active = no e-mail up to as_of. An empty department is "unassigned". The group "former"
    counts users of earlier snapshots that are missing from this one and sent an e-mail in
    the window.
    """

    def __init__(self) -> None:
        require(CERT_EMAIL)
        require(CERT_LDAP_DIR)
        self._con = duckdb.connect()
        self._con.execute(
            """
            CREATE TABLE mail_days AS
            SELECT DISTINCT "user" AS user_id, strptime(date, '%m/%d/%Y %H:%M:%S')::DATE AS day
            FROM read_csv($email, header = true, columns = {'date': 'VARCHAR', 'user': 'VARCHAR'})
            """,
            {"email": str(CERT_EMAIL)},
        )
        self._con.execute(
            """
            CREATE TABLE ldap AS
            SELECT regexp_extract(filename, '(\\d{4}-\\d{2})\\.csv$', 1) AS month, user_id,
                   coalesce(nullif(trim(department), ''), 'unassigned') AS department
            FROM read_csv($ldap_glob, header = true, all_varchar = true, filename = true)
            """,
            {"ldap_glob": str(CERT_LDAP_DIR / "*.csv")},
        )

    def counts(self, as_of: dt.date, days: int) -> dict[str, dict[str, int]]:
        """Return {department: {population, active, inactive, never_active}} plus "former"."""
        rows = self._con.execute(
            """
            WITH staff AS (
                SELECT user_id, department FROM ldap WHERE month = $month
            ),
            per_user AS (
                SELECT user_id,
                       bool_or(day BETWEEN $start AND $as_of) AS in_window,
                       bool_or(day < $start) AS before_window
                FROM mail_days WHERE day <= $as_of GROUP BY user_id
            )
            SELECT s.department,
                   count(*) AS population,
                   count(*) FILTER (WHERE p.in_window) AS active,
                   count(*) FILTER (WHERE NOT p.in_window AND p.before_window) AS inactive,
                   count(*) FILTER (WHERE p.user_id IS NULL) AS never_active
            FROM staff AS s LEFT JOIN per_user AS p USING (user_id)
            GROUP BY s.department
            UNION ALL
            SELECT 'former', 0, count(*), 0, 0
            FROM (SELECT DISTINCT user_id FROM ldap WHERE month < $month) AS e
            JOIN per_user AS p USING (user_id)
            WHERE p.in_window AND e.user_id NOT IN (SELECT user_id FROM staff)
            """,
            {
                "month": f"{as_of.year}-{as_of.month:02d}",
                "start": as_of - dt.timedelta(days=days - 1),
                "as_of": as_of,
            },
        ).fetchall()
        return {
            department: {"population": population, "active": active, "inactive": inactive, "never_active": never}
            for department, population, active, inactive, never in rows
        }


# The directory and export tests share one CERT warehouse and one raw count per test run.
_shared: dict[str, object] = {}


def shared_cert_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the run's CERT warehouse, building it on first use."""
    if "warehouse" not in _shared:
        _shared["warehouse"] = build_cert_warehouse(tmp_path_factory.mktemp("cert") / "warehouse")
    return _shared["warehouse"]  # type: ignore[return-value]


def shared_raw_counts() -> RawCertCounts:
    """Return the run's independent CERT counts, reading the raw files on first use."""
    if "raw" not in _shared:
        _shared["raw"] = RawCertCounts()
    return _shared["raw"]  # type: ignore[return-value]
