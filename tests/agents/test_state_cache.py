"""The processor's in-memory state cache: reads, copies for flushes, and trimming."""

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import orjson
import pytest
from prometheus_client import CollectorRegistry

from agents.processor import LOGINS, ActivityProcessor, DayCalendar
from agents.state import UserState
from agents.windows import ActivityIndex
from pipeline.events import EventDecoder
from sinks.prometheus import PipelineMetrics

NOW = 1_700_000_000.0
DAY = 86_400


class CountingTable(dict[bytes, bytes]):
    """A dict table that counts reads, to tell cached states from parsed ones."""

    reads = 0

    def get(self, key: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        self.reads += 1
        return super().get(key, default)


def make_processor(cache_users: int) -> tuple[ActivityProcessor, ActivityIndex]:
    index = ActivityIndex()
    processor = ActivityProcessor(
        EventDecoder(ZoneInfo("UTC"), 300, now=lambda: NOW),
        DayCalendar(ZoneInfo("UTC")),
        PipelineMetrics(CollectorRegistry()),
        index,
        ("t.logins", "t.interactions"),
        replay_clock=False,
        partitions=4,
        now=lambda: NOW,
        cache_users=cache_users,
    )
    return processor, index


def offsets() -> Iterator[int]:
    offset = 0
    while True:
        yield offset
        offset += 1


def login(processor: ActivityProcessor, table: CountingTable, user: str, timestamp: float, offset: int) -> None:
    value = orjson.dumps({"event_id": f"{user}-{offset}", "user_id": user, "timestamp": timestamp, "outcome": "success"})
    processor.process(LOGINS, user.encode(), value, 0, offset, table)


@pytest.mark.parametrize(("cache_users", "expected_reads"), [(10, 1), (0, 3)])
def test_table_reads_per_cache_size(cache_users: int, expected_reads: int) -> None:
    processor, _ = make_processor(cache_users=cache_users)
    table, offset = CountingTable(), offsets()
    for _ in range(3):
        login(processor, table, "ana", NOW, next(offset))

    assert table.reads == expected_reads
    state = UserState.from_bytes(table[b"ana"])
    assert state.positions[LOGINS] == 2 << 12  # the third message's event position (offset 2, index 0)
    assert sum(entry.counts["login_success"] for entry in state.days.values()) == 3


def test_flushed_state_does_not_change_after_hand_over() -> None:
    processor, _ = make_processor(cache_users=10)
    table, offset = CountingTable(), offsets()
    login(processor, table, "ana", NOW - DAY, next(offset))
    [batch] = processor.take_flush_batches()
    handed = batch.users["ana"]
    before = handed.to_bytes()

    login(processor, table, "ana", NOW, next(offset))
    assert handed.to_bytes() == before
    assert UserState.from_bytes(table[b"ana"]).last_login == NOW
    [later] = processor.take_flush_batches()
    assert later.users["ana"] is not handed
    assert later.users["ana"].last_login == NOW


def test_trim_keeps_index_exact() -> None:
    processor, index = make_processor(cache_users=3)
    table, offset = CountingTable(), offsets()
    users = [f"user{n}" for n in range(8)]
    for user in users:
        login(processor, table, user, NOW - 40 * DAY, next(offset))
    reads_before = table.reads
    for user in users:
        login(processor, table, user, NOW, next(offset))

    assert table.reads > reads_before  # evicted users were parsed again
    today = processor.clock().today
    assert today is not None
    assert index.known_users() == len(users)
    assert index.active_users(today, 1) == len(users)
    assert index.active_users(today, 30) == len(users)
    for user in users:
        state = UserState.from_bytes(table[user.encode()])
        assert state.last_login == NOW
        assert sum(entry.counts["login_success"] for entry in state.days.values()) == 2


def test_reassigned_partition_reads_the_table_again() -> None:
    processor, _ = make_processor(cache_users=10)
    table, offset = CountingTable(), offsets()
    login(processor, table, "ana", NOW - DAY, next(offset))
    # Another worker owned the partition meanwhile and applied a later login.
    other, _ = make_processor(cache_users=10)
    other.assign_partition(0, list(table.items()), {})
    login(other, table, "ana", NOW, 50)

    processor.revoke_partition(0)
    processor.assign_partition(0, list(table.items()), {})
    login(processor, table, "ana", NOW, 51)
    state = UserState.from_bytes(table[b"ana"])
    assert sum(entry.counts["login_success"] for entry in state.days.values()) == 3


def test_released_state_changes_in_place_again() -> None:
    processor, _ = make_processor(cache_users=10)
    table, offset = CountingTable(), offsets()
    login(processor, table, "ana", NOW - DAY, next(offset))
    [batch] = processor.take_flush_batches()
    processor.flush_succeeded(batch)

    login(processor, table, "ana", NOW, next(offset))
    assert batch.users["ana"].last_login == NOW  # no flush reads it any more, so no copy was made
    [later] = processor.take_flush_batches()
    assert later.users["ana"] is batch.users["ana"]
