from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from agents.state import apply_event, prune_days
from pipeline.events import InteractionEvent, LoginEvent
from sinks.warehouse import FlushBatch, Warehouse, WarehouseError, connect_readonly

JAN_31 = datetime(2010, 1, 31, 12, tzinfo=UTC).timestamp()
JAN_30 = datetime(2010, 1, 30, 12, tzinfo=UTC).timestamp()
DAY_31 = date(2010, 1, 31).toordinal()
DAY_30 = date(2010, 1, 30).toordinal()


def sample_users() -> dict:
    ana = apply_event(None, LoginEvent("1", "ana", JAN_30, "success"), DAY_30, 0, 0)
    ana = apply_event(ana, InteractionEvent("2", "ana", JAN_31, "like", "blogs"), DAY_31, 1, 0)
    ana = apply_event(ana, InteractionEvent("3", "ana", JAN_31 + 60, "like", "blogs"), DAY_31, 1, 1)
    bob = apply_event(None, LoginEvent("4", "bob", JAN_31, "failure"), DAY_31, 0, 1)
    return {"ana": ana, "bob": bob}


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    store = Warehouse(tmp_path, "UTC")
    store.prepare()
    return store


def test_views_work_before_first_flush(warehouse: Warehouse, tmp_path: Path) -> None:
    with connect_readonly(tmp_path, "UTC") as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM user_days").fetchone() == (0,)


def test_flush_rows_reach_views(warehouse: Warehouse, tmp_path: Path) -> None:
    written = warehouse.write(FlushBatch(0, sample_users(), {"t.logins": 1, "t.interactions": 1}))
    assert written == {"users": 2, "user_kinds": 1, "activity": 3}
    with connect_readonly(tmp_path, "UTC") as connection:
        days = connection.execute(
            "SELECT user_id, day, logins, failed_logins, interactions FROM user_days ORDER BY ALL"
        ).fetchall()
        assert days == [
            ("ana", date(2010, 1, 30), 1, 0, 0),
            ("ana", date(2010, 1, 31), 0, 0, 2),
            ("bob", date(2010, 1, 31), 0, 1, 0),
        ]
        last = connection.execute("SELECT last_activity FROM users WHERE user_id = 'ana'").fetchone()
        assert last is not None
        assert last[0].timestamp() == JAN_31 + 60
        assert connection.execute("SELECT last_activity FROM users WHERE user_id = 'bob'").fetchone() == (None,)


def test_flush_is_idempotent(warehouse: Warehouse, tmp_path: Path) -> None:
    users = sample_users()
    batch = FlushBatch(0, users, {"t.logins": 1, "t.interactions": 1})
    warehouse.write(batch)
    warehouse.write(batch)
    with connect_readonly(tmp_path, "UTC") as connection:
        assert connection.execute("SELECT sum(interactions), sum(logins) FROM user_days").fetchone() == (2, 1)
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (2,)


def test_later_flush_supersedes_counts(warehouse: Warehouse, tmp_path: Path) -> None:
    users = sample_users()
    warehouse.write(FlushBatch(0, users, {"t.logins": 1, "t.interactions": 1}))
    ana = apply_event(users["ana"], InteractionEvent("5", "ana", JAN_31 + 120, "post", "blogs"), DAY_31, 1, 2)
    warehouse.write(FlushBatch(0, {"ana": ana}, {"t.logins": 1, "t.interactions": 2}))
    with connect_readonly(tmp_path, "UTC") as connection:
        row = connection.execute("SELECT interactions FROM user_days WHERE user_id = 'ana' AND day = '2010-01-31'")
        assert row.fetchone() == (3,)


def test_reopened_day_segments_add_up(warehouse: Warehouse, tmp_path: Path) -> None:
    ana = apply_event(None, InteractionEvent("1", "ana", JAN_30, "like", "blogs"), DAY_30, 1, 0)
    warehouse.write(FlushBatch(0, {"ana": ana}, {"t.logins": -1, "t.interactions": 0}))
    later = datetime(2010, 2, 10, tzinfo=UTC).timestamp()
    ana = apply_event(ana, InteractionEvent("2", "ana", later, "like", "blogs"), DAY_30 + 11, 1, 1)
    prune_days(ana, DAY_30 + 11, (-1, 0))
    assert DAY_30 not in ana.days
    ana = apply_event(ana, InteractionEvent("3", "ana", JAN_30 + 5, "like", "blogs"), DAY_30, 1, 2)
    warehouse.write(FlushBatch(0, {"ana": ana}, {"t.logins": -1, "t.interactions": 2}))
    with connect_readonly(tmp_path, "UTC") as connection:
        row = connection.execute("SELECT interactions FROM user_days WHERE user_id = 'ana' AND day = '2010-01-30'")
        assert row.fetchone() == (2,)


def test_flushed_offsets_round_trip(warehouse: Warehouse) -> None:
    assert warehouse.flushed_positions(3) == {}
    warehouse.write(FlushBatch(3, sample_users(), {"t.logins": 7, "t.interactions": 9}))
    assert warehouse.flushed_positions(3) == {"t.logins": 7, "t.interactions": 9}


def test_reader_and_writer_never_lock(warehouse: Warehouse, tmp_path: Path) -> None:
    analyst = connect_readonly(tmp_path, "UTC")
    try:
        warehouse.write(FlushBatch(0, sample_users(), {"t.logins": 1, "t.interactions": 1}))
        warehouse.write_views_database()
        assert analyst.execute("SELECT count(*) FROM users").fetchone() == (2,)
        second = duckdb.connect(str(tmp_path / "socialitica.duckdb"), read_only=True)
        assert second.execute("SELECT count(*) FROM users").fetchone() == (2,)
        second.close()
    finally:
        analyst.close()


def test_reporting_zone_pins_session(warehouse: Warehouse, tmp_path: Path) -> None:
    with connect_readonly(tmp_path, "America/Mexico_City") as connection:
        assert connection.execute("SELECT current_setting('TimeZone')").fetchone() == ("America/Mexico_City",)


def test_missing_warehouse_names_fix(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError) as raised:
        connect_readonly(tmp_path / "nowhere", "UTC")
    assert "socialitica run --data-dir" in str(raised.value)
