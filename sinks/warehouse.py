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
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from operator import attrgetter
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from agents.state import UserState
from pipeline.errors import SocialiticaError

logger = logging.getLogger(__name__)

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

# UserState attributes stored in the users table, each in the column of the same name.
USER_TIME_FIELDS = ("first_seen", "last_login", "last_failed_login", "last_activity", "last_interaction")

USERS_SCHEMA = pa.schema([("user_id", pa.string()), *((name, TIMESTAMP_TYPE) for name in USER_TIME_FIELDS)])
USER_KINDS_SCHEMA = pa.schema([("user_id", pa.string()), ("kind", pa.string()), ("last_at", TIMESTAMP_TYPE)])
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
# Columns with few distinct values per file, the only ones written with Parquet dictionary encoding.
# Dictionary-encoding the unique user ids and timestamps cost most of the write time and made files
# larger. On the benchmark's 4 flushes of 250,000 synthetic users (pipeline/bench/warehouse_steps.py),
# with pyarrow 26 on 2 vCPUs, pyarrow's default of every column took 1.6 s of CPU for 47.5 MB of
# zstd files. These columns alone took 0.83 s for 39.3 MB.
DICTIONARY_COLUMNS: Mapping[str, list[str]] = {
    "users": [],
    "user_kinds": ["kind"],
    "activity": ["partition", "day", "action", "events"],
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
                _write_parquet_atomically(schema.empty_table(), empty, table)
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
        """Write one partition's changed users; return the rows written per table.

        Each table is written in its own thread while the next one is built, because pyarrow
        releases the GIL while it encodes and compresses. The marker is written only after all
        tables are, so a failed write leaves the previous positions in place.
        """
        seq = self._next_seq()
        written: dict[str, int] = {}
        writes: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=len(TABLE_SCHEMAS), thread_name_prefix="warehouse-write") as writers:
            for table, rows in _batch_tables(batch):
                if rows.num_rows == 0:
                    continue
                path = self.table_dir(table) / f"p{batch.partition}" / f"{seq:020d}.parquet"
                writes.append(writers.submit(_write_parquet_atomically, rows, path, table))
                written[table] = rows.num_rows
        for future in writes:
            future.result()  # raises the error of the first failed write
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


def _batch_tables(batch: FlushBatch) -> Iterator[tuple[str, pa.Table]]:
    """Yield the activity, user_kinds and users tables of ``batch``, each built when requested.

    Rows follow the order of ``batch.users``, then of each user's day entries and counts. The
    activity table comes first because it is the largest to write, so its write overlaps the build
    of the other two.
    """
    user_ids = pa.array(list(batch.users), pa.string())
    states = list(batch.users.values())
    yield "activity", _activity_table(batch.partition, user_ids, states)
    yield "user_kinds", _user_kinds_table(user_ids, states)
    yield "users", _users_table(user_ids, states)


# The builders below read UserState fields with map, attrgetter and chain.from_iterable, so the
# loops over values run in C, and repeat or convert values with Arrow kernels. A Python loop with
# an append per value took most of a flush. They read the states in chunks of this many users so
# that the several passes over one chunk find its objects still in the CPU cache. A chunk of the
# benchmark's users contains about 0.6 MB of objects (1.2 KB per user by sys.getsizeof), near the L2
# cache size of current x86 cores. On the benchmark, chunks of 256 to 1,024 users performed alike,
# and one pass per column over all the states took 25 to 35% longer.
STATE_CHUNK_USERS = 512

_LAST_BY_KIND = attrgetter("last_by_kind")
_DAYS = attrgetter("days")
_SEGMENT = attrgetter("segment")
_COUNTS = attrgetter("counts")


def _state_chunks(states: Sequence[UserState]) -> Iterator[Sequence[UserState]]:
    for start in range(0, len(states), STATE_CHUNK_USERS):
        yield states[start : start + STATE_CHUNK_USERS]


def _users_table(user_ids: pa.Array, states: Sequence[UserState]) -> pa.Table:
    getters = [attrgetter(name) for name in USER_TIME_FIELDS]
    seconds: list[list[float | None]] = [[] for _ in USER_TIME_FIELDS]
    for chunk in _state_chunks(states):
        for column, getter in zip(seconds, getters):
            column.extend(map(getter, chunk))
    columns = [_timestamp_array(column) for column in seconds]
    return pa.Table.from_arrays([user_ids, *columns], schema=USERS_SCHEMA)


def _user_kinds_table(user_ids: pa.Array, states: Sequence[UserState]) -> pa.Table:
    kinds_per_user: list[int] = []
    kinds: list[str] = []
    last_at: list[float] = []
    for chunk in _state_chunks(states):
        by_kind = list(map(_LAST_BY_KIND, chunk))
        kinds_per_user.extend(map(len, by_kind))
        kinds.extend(chain.from_iterable(by_kind))
        last_at.extend(chain.from_iterable(map(dict.values, by_kind)))

    owners = _parent_indices(kinds_per_user)
    columns = [user_ids.take(owners), pa.array(kinds, pa.string()), _timestamp_array(last_at)]
    return pa.Table.from_arrays(columns, schema=USER_KINDS_SCHEMA)


@dataclass(slots=True)
class _ActivityColumns:
    """Values gathered from day entries: one per user, per day entry or per (entry, action) row."""

    entries_per_user: list[int] = field(default_factory=list)
    day_ordinals: list[int] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)
    actions_per_entry: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)

    def add(self, states: Sequence[UserState]) -> None:
        day_maps = list(map(_DAYS, states))
        entries = list(chain.from_iterable(map(dict.values, day_maps)))
        counts = list(map(_COUNTS, entries))
        self.entries_per_user.extend(map(len, day_maps))
        self.day_ordinals.extend(chain.from_iterable(day_maps))
        self.segments.extend(map(_SEGMENT, entries))
        self.actions_per_entry.extend(map(len, counts))
        self.actions.extend(chain.from_iterable(counts))
        self.events.extend(chain.from_iterable(map(dict.values, counts)))


def _activity_table(partition: int, user_ids: pa.Array, states: Sequence[UserState]) -> pa.Table:
    """Build one row per (user, day entry, action), repeating the user and entry values on each."""
    gathered = _ActivityColumns()
    for chunk in _state_chunks(states):
        gathered.add(chunk)

    row_entries = _parent_indices(gathered.actions_per_entry)
    entry_users = _parent_indices(gathered.entries_per_user)
    ordinals = pa.array(gathered.day_ordinals, pa.int64())
    days = pc.subtract(ordinals, EPOCH_ORDINAL).cast(pa.int32()).cast(pa.date32())
    columns = [
        pa.repeat(pa.scalar(partition, pa.int32()), len(row_entries)),
        user_ids.take(entry_users.take(row_entries)),
        days.take(row_entries),
        pa.array(gathered.segments, pa.int64()).take(row_entries),
        pa.array(gathered.actions, pa.string()),
        pa.array(gathered.events, pa.int64()),
    ]
    return pa.Table.from_arrays(columns, schema=ACTIVITY_SCHEMA)


def _timestamp_array(seconds: list[float | None]) -> pa.Array:
    """Convert POSIX seconds to UTC microseconds, None to null, as ``round(seconds * 1_000_000)`` would.

    Both multiply in float64 and round half to even, so every finite float gives the same integer.
    Ties are common, because for times from 2005 to 2041 the float64 product has a step of 0.25.
    """
    micros = pc.round(pc.multiply(pa.array(seconds, pa.float64()), 1_000_000.0))
    return micros.cast(pa.int64()).cast(TIMESTAMP_TYPE)


def _parent_indices(lengths: list[int]) -> pa.Array:
    """Return the parent index of every child, for parents with ``lengths`` children each, in order."""
    ends = pc.cumulative_sum(pa.array(lengths, pa.int64()))
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), ends])
    children = pa.nulls(offsets[-1].as_py())
    return pc.list_parent_indices(pa.LargeListArray.from_arrays(offsets, children))


def _write_parquet_atomically(table: pa.Table, path: Path, table_name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary, compression="zstd", use_dictionary=DICTIONARY_COLUMNS[table_name])
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
