"""Rows that Warehouse.write puts in the Parquet files, checked against a plain per-value loop."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sinks.warehouse
from agents.state import DayCounts, UserState, apply_event
from pipeline.events import InteractionEvent, LoginEvent
from sinks.warehouse import (
    ACTIVITY_SCHEMA,
    EPOCH_ORDINAL,
    TABLE_SCHEMAS,
    USER_KINDS_SCHEMA,
    USERS_SCHEMA,
    FlushBatch,
    Warehouse,
)

JAN_1 = datetime(2010, 1, 1, tzinfo=UTC).timestamp()
DAY_1 = date(2010, 1, 1).toordinal()
KINDS = ("like", "post", "reply", "share")
# Each of these times a million is exactly halfway between two integers, so rounding must break the tie.
TIE_SECONDS = (5e-07, 1.5e-06, 2.5e-06, 3.5e-06, 1700000000.0000005, -1.5e-06)


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1_000_000)


def reference_tables(batch: FlushBatch) -> dict[str, pa.Table]:
    """Build the expected tables with one Python append per value."""
    users: dict[str, list] = {name: [] for name in USERS_SCHEMA.names}
    kinds: dict[str, list] = {name: [] for name in USER_KINDS_SCHEMA.names}
    activity: dict[str, list] = {name: [] for name in ACTIVITY_SCHEMA.names}
    for user_id, state in batch.users.items():
        users["user_id"].append(user_id)
        for name in USERS_SCHEMA.names[1:]:
            users[name].append(_micros(getattr(state, name)))
        for kind, last_at in state.last_by_kind.items():
            kinds["user_id"].append(user_id)
            kinds["kind"].append(kind)
            kinds["last_at"].append(_micros(last_at))
        for day, entry in state.days.items():
            for action, events in entry.counts.items():
                activity["partition"].append(batch.partition)
                activity["user_id"].append(user_id)
                activity["day"].append(day - EPOCH_ORDINAL)
                activity["segment"].append(entry.segment)
                activity["action"].append(action)
                activity["events"].append(events)
    return {
        "users": pa.Table.from_pydict(users, schema=USERS_SCHEMA),
        "user_kinds": pa.Table.from_pydict(kinds, schema=USER_KINDS_SCHEMA),
        "activity": pa.Table.from_pydict(activity, schema=ACTIVITY_SCHEMA),
    }


def random_users(count: int, seed: int) -> dict[str, UserState]:
    """Return users built from random logins and interactions, some with no days, kinds or logins."""
    draw = random.Random(seed)
    users: dict[str, UserState] = {}
    for number in range(count):
        state: UserState | None = None
        for position in range(draw.randrange(1, 6)):
            timestamp = JAN_1 + draw.random() * 5 * 86_400
            day = DAY_1 + int((timestamp - JAN_1) // 86_400)
            if draw.random() < 0.4:
                outcome = draw.choice(("success", "failure"))
                event: LoginEvent | InteractionEvent = LoginEvent(f"{number}-{position}", f"u{number}", timestamp, outcome)
                state = apply_event(state, event, day, 0, position)
            else:
                event = InteractionEvent(f"{number}-{position}", f"u{number}", timestamp, draw.choice(KINDS), "blogs")
                state = apply_event(state, event, day, 1, position)
        assert state is not None
        if number % 7 == 0:
            state.days.clear()
        users[f"u{number}"] = state
    return users


def written_tables(warehouse: Warehouse, partition: int) -> dict[str, pa.Table]:
    tables = {}
    for table in TABLE_SCHEMAS:
        files = sorted((warehouse.table_dir(table) / f"p{partition}").glob("*.parquet"))
        if files:
            assert len(files) == 1, f"{table}: expected one file per flush, found {files}"
            tables[table] = pq.read_table(files[0])
    return tables


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    store = Warehouse(tmp_path, "UTC")
    store.prepare()
    return store


@pytest.mark.parametrize("chunk_users", [1, 3, 512])
def test_write_rows_match_reference(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, chunk_users: int) -> None:
    monkeypatch.setattr(sinks.warehouse, "STATE_CHUNK_USERS", chunk_users)
    batch = FlushBatch(5, random_users(60, seed=chunk_users), {"t.logins": 1, "t.interactions": 1})
    expected = reference_tables(batch)

    written = warehouse.write(batch)

    assert written == {table: rows.num_rows for table, rows in expected.items()}
    tables = written_tables(warehouse, 5)
    for table, rows in expected.items():
        assert tables[table].equals(rows), f"{table} rows differ from the per-value loop"


def test_timestamps_round_half_to_even(warehouse: Warehouse) -> None:
    for seconds in TIE_SECONDS:
        assert (seconds * 1_000_000) % 1 == 0.5, f"{seconds} is not a tie"
    users = {
        f"u{number}": UserState(first_seen=seconds, last_login=seconds, last_by_kind={"like": seconds})
        for number, seconds in enumerate(TIE_SECONDS)
    }

    warehouse.write(FlushBatch(0, users, {}))

    tables = written_tables(warehouse, 0)
    expected = [round(seconds * 1_000_000) for seconds in TIE_SECONDS]
    assert tables["users"].column("first_seen").cast(pa.int64()).to_pylist() == expected
    assert tables["users"].column("last_login").cast(pa.int64()).to_pylist() == expected
    assert tables["user_kinds"].column("last_at").cast(pa.int64()).to_pylist() == expected


def test_none_timestamps_become_null(warehouse: Warehouse) -> None:
    warehouse.write(FlushBatch(0, {"ana": UserState(first_seen=JAN_1)}, {}))

    users = written_tables(warehouse, 0)["users"]
    assert users.column("first_seen").cast(pa.int64()).to_pylist() == [round(JAN_1 * 1_000_000)]
    for name in ("last_login", "last_failed_login", "last_activity", "last_interaction"):
        assert users.column(name).to_pylist() == [None], name


def test_users_without_days_or_kinds(warehouse: Warehouse) -> None:
    users = {"ana": UserState(first_seen=JAN_1), "bob": UserState(first_seen=JAN_1 + 1, days={})}

    written = warehouse.write(FlushBatch(1, users, {"t.logins": 3}))

    assert written == {"users": 2}
    assert set(written_tables(warehouse, 1)) == {"users"}
    assert warehouse.flushed_positions(1) == {"t.logins": 3}


def test_day_entry_without_counts(warehouse: Warehouse) -> None:
    state = UserState(first_seen=JAN_1, days={DAY_1: DayCounts(segment=4, topic_index=0, offset=2)})

    written = warehouse.write(FlushBatch(0, {"ana": state}, {}))

    assert written == {"users": 1}
    assert set(written_tables(warehouse, 0)) == {"users"}


def test_empty_batch_writes_marker_only(warehouse: Warehouse) -> None:
    written = warehouse.write(FlushBatch(2, {}, {"t.logins": 9}))

    assert written == {}
    assert written_tables(warehouse, 2) == {}
    assert warehouse.flushed_positions(2) == {"t.logins": 9}


def test_flush_files_keep_table_schemas(warehouse: Warehouse) -> None:
    warehouse.write(FlushBatch(0, random_users(10, seed=1), {}))

    for table, rows in written_tables(warehouse, 0).items():
        assert rows.schema.equals(TABLE_SCHEMAS[table]), table
