"""The DuckDB warehouse: Parquet files written per flush, and a database of views over them.

A DuckDB file can have one writer or several readers, never both, so the worker never opens the
database that analysts use. Each flush writes new Parquet files (temporary name, then rename, so a
reader never sees half a file); ``socialitica.duckdb`` holds only views over them and is replaced
by rename, never written in place. Rows carry absolute values: writing a flush twice, or two
workers writing the same user after a rebalance, leaves the views unchanged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from agents.state import UserState
from pipeline.errors import SocialiticaError

logger = logging.getLogger(__name__)

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

USERS_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_login", pa.timestamp("us", tz="UTC")),
        ("last_failed_login", pa.timestamp("us", tz="UTC")),
        ("last_activity", pa.timestamp("us", tz="UTC")),
        ("last_interaction", pa.timestamp("us", tz="UTC")),
    ]
)
USER_KINDS_SCHEMA = pa.schema(
    [("user_id", pa.string()), ("kind", pa.string()), ("last_at", pa.timestamp("us", tz="UTC"))]
)
ACTIVITY_SCHEMA = pa.schema(
    [
        ("partition", pa.int32()),
        ("user_id", pa.string()),
        ("day", pa.date32()),
        ("segment", pa.int64()),
        ("action", pa.string()),
        ("events", pa.int64()),
    ]
)
TABLE_SCHEMAS: Mapping[str, pa.Schema] = {
    "users": USERS_SCHEMA,
    "user_kinds": USER_KINDS_SCHEMA,
    "activity": ACTIVITY_SCHEMA,
}


class WarehouseError(SocialiticaError):
    """The warehouse could not be written or read."""


@dataclass(frozen=True, slots=True)
class FlushBatch:
    """Users of one partition changed since the last flush, and the event positions processed up to then.

    A position is ``pipeline.packing.event_position(offset, index in the message)`` per topic.
    """

    partition: int
    users: Mapping[str, UserState]
    positions: Mapping[str, int]


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1_000_000)


class Warehouse:
    """Paths of the Parquet tables and the views database under one data directory."""

    def __init__(self, data_dir: Path, reporting_timezone: str) -> None:
        self.root = (data_dir / "warehouse").resolve()
        self.database_path = (data_dir / "socialitica.duckdb").resolve()
        self.reporting_timezone = reporting_timezone
        self._last_seq = 0

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def _flush_marker(self, partition: int) -> Path:
        return self.root / "_flushes" / f"p{partition}.json"

    # 1. Setup: empty schema files so the views work before the first flush.
    def prepare(self) -> None:
        """Create the folders and the views database; safe to call while analysts read."""
        for table, schema in TABLE_SCHEMAS.items():
            empty = self.table_dir(table) / "_schema" / "empty.parquet"
            if not empty.exists():
                empty.parent.mkdir(parents=True, exist_ok=True)
                _write_parquet_atomically(schema.empty_table(), empty)
        (self.root / "_flushes").mkdir(parents=True, exist_ok=True)
        self.write_views_database()

    def write_views_database(self) -> None:
        temporary = self.database_path.with_name(f".{self.database_path.name}.{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        with duckdb.connect(str(temporary)) as connection:
            for statement in view_statements(self.root):
                connection.execute(statement)
        os.replace(temporary, self.database_path)
        logger.info("views database written to %s", self.database_path)

    # 2. Flush: one file per table and partition, then the marker with the offsets it covers.
    def write(self, batch: FlushBatch) -> dict[str, int]:
        """Write one partition's changed users; return the rows written per table."""
        seq = self._next_seq()
        users, kinds, activity = _batch_tables(batch)
        written: dict[str, int] = {}
        for table, rows in (("users", users), ("user_kinds", kinds), ("activity", activity)):
            if rows.num_rows == 0:
                continue
            path = self.table_dir(table) / f"p{batch.partition}" / f"{seq:020d}.parquet"
            _write_parquet_atomically(rows, path)
            written[table] = rows.num_rows
        marker = {"positions": dict(batch.positions), "flush_seq": seq, "written_at": time.time()}
        _write_bytes_atomically(orjson.dumps(marker), self._flush_marker(batch.partition))
        return written

    def flushed_positions(self, partition: int) -> dict[str, int]:
        """Return the event positions per topic the last flush of ``partition`` covered ({} when none)."""
        try:
            return dict(orjson.loads(self._flush_marker(partition).read_bytes())["positions"])
        except FileNotFoundError:
            return {}
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            logger.warning(
                "flush marker %s is unreadable (%s); partition %d will be flushed in full",
                self._flush_marker(partition),
                exc,
                partition,
            )
            return {}

    def _next_seq(self) -> int:
        self._last_seq = max(self._last_seq + 1, time.time_ns())
        return self._last_seq


def _batch_tables(batch: FlushBatch) -> tuple[pa.Table, pa.Table, pa.Table]:
    user_ids: list[str] = []
    first_seen: list[int | None] = []
    last_login: list[int | None] = []
    last_failed: list[int | None] = []
    last_activity: list[int | None] = []
    last_interaction: list[int | None] = []
    kind_rows: dict[str, list] = {"user_id": [], "kind": [], "last_at": []}
    activity_rows: dict[str, list] = {name: [] for name in ACTIVITY_SCHEMA.names}

    for user_id, state in batch.users.items():
        user_ids.append(user_id)
        first_seen.append(_micros(state.first_seen))
        last_login.append(_micros(state.last_login))
        last_failed.append(_micros(state.last_failed_login))
        last_activity.append(_micros(state.last_activity))
        last_interaction.append(_micros(state.last_interaction))
        for kind, last_at in state.last_by_kind.items():
            kind_rows["user_id"].append(user_id)
            kind_rows["kind"].append(kind)
            kind_rows["last_at"].append(_micros(last_at))
        for day, entry in state.days.items():
            for action, events in entry.counts.items():
                activity_rows["partition"].append(batch.partition)
                activity_rows["user_id"].append(user_id)
                activity_rows["day"].append(day - EPOCH_ORDINAL)
                activity_rows["segment"].append(entry.segment)
                activity_rows["action"].append(action)
                activity_rows["events"].append(events)

    users = pa.Table.from_arrays(
        [
            pa.array(user_ids, pa.string()),
            *(
                pa.array(column, pa.timestamp("us", tz="UTC"))
                for column in (first_seen, last_login, last_failed, last_activity, last_interaction)
            ),
        ],
        schema=USERS_SCHEMA,
    )
    kinds = pa.Table.from_pydict(kind_rows, schema=USER_KINDS_SCHEMA)
    activity = pa.Table.from_pydict(activity_rows, schema=ACTIVITY_SCHEMA)
    return users, kinds, activity


def _write_parquet_atomically(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def _write_bytes_atomically(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _source(root: Path, table: str) -> str:
    pattern = str(root / table / "*" / "*.parquet").replace("'", "''")
    return f"read_parquet('{pattern}')"


def view_statements(root: Path) -> list[str]:
    """Return the CREATE VIEW statements over the Parquet tables under ``root``."""
    return [
        f"""
        CREATE OR REPLACE VIEW users AS
        SELECT user_id,
               min(first_seen) AS first_seen,
               max(last_login) AS last_login,
               max(last_failed_login) AS last_failed_login,
               max(last_activity) AS last_activity,
               max(last_interaction) AS last_interaction
        FROM {_source(root, "users")}
        GROUP BY user_id
        """,
        f"""
        CREATE OR REPLACE VIEW user_last_interactions AS
        SELECT user_id, kind, max(last_at) AS last_at
        FROM {_source(root, "user_kinds")}
        GROUP BY user_id, kind
        """,
        f"""
        CREATE OR REPLACE VIEW daily_activity AS
        SELECT user_id, day, action, sum(events)::BIGINT AS events
        FROM (
            SELECT partition, user_id, day, segment, action, max(events) AS events
            FROM {_source(root, "activity")}
            GROUP BY partition, user_id, day, segment, action
        )
        GROUP BY user_id, day, action
        """,
        """
        CREATE OR REPLACE VIEW user_days AS
        SELECT user_id,
               day,
               coalesce(sum(events) FILTER (WHERE action = 'login_success'), 0)::BIGINT AS logins,
               coalesce(sum(events) FILTER (WHERE action = 'login_failure'), 0)::BIGINT AS failed_logins,
               coalesce(sum(events) FILTER (WHERE action NOT IN ('login_success', 'login_failure')), 0)::BIGINT
                   AS interactions
        FROM daily_activity
        GROUP BY user_id, day
        """,
    ]


def connect_readonly(data_dir: Path, reporting_timezone: str) -> duckdb.DuckDBPyConnection:
    """Open the views database read-only with the session pinned to the reporting time zone."""
    path = (data_dir / "socialitica.duckdb").resolve()
    if not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}: start the worker with `socialitica run --data-dir {data_dir}` "
            "(or pass the --data-dir the worker uses)"
        )
    connection = duckdb.connect(str(path), read_only=True)
    ZoneInfo(reporting_timezone)  # raises on an unknown zone before DuckDB silently accepts it
    connection.execute("SET TimeZone = ?", [reporting_timezone])
    return connection
