from collections.abc import Iterator
from datetime import date
from zoneinfo import ZoneInfo

import orjson
import pytest
from prometheus_client import CollectorRegistry

from agents.processor import INTERACTIONS, LOGINS, ActivityProcessor, DayCalendar, MessageOutcome
from agents.state import UserState
from agents.windows import ActivityIndex
from pipeline.events import EventDecoder
from pipeline.packing import event_position, partition_for
from sinks.prometheus import PipelineMetrics

NOW = 1_700_000_000.0
TOPICS = ("t.logins", "t.interactions")


class Harness:
    def __init__(self, replay: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.index = ActivityIndex()
        self.table: dict[bytes, bytes] = {}
        self.processor = ActivityProcessor(
            EventDecoder(ZoneInfo("UTC"), 300, now=lambda: NOW),
            DayCalendar(ZoneInfo("UTC")),
            PipelineMetrics(self.registry),
            self.index,
            TOPICS,
            replay_clock=replay,
            partitions=4,
            now=lambda: NOW,
        )
        self.offsets = {LOGINS: 0, INTERACTIONS: 0}

    def send(self, topic: int, partition: int = 0, offset: int | None = None, **fields: object) -> object:
        if offset is None:
            offset = self.offsets[topic]
            self.offsets[topic] += 1
        value = orjson.dumps(fields)
        key = str(fields.get("user_id", "")).encode()
        return self.processor.process(topic, key, value, partition, offset, self.table)

    def metric(self, name: str, labels: dict[str, str] | None = None) -> float:
        value = self.registry.get_sample_value(name, labels or {})
        return 0.0 if value is None else value


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield Harness()


def login(harness: Harness, user: str, timestamp: float, outcome: str = "success", **extra: object) -> object:
    return harness.send(LOGINS, event_id=f"{user}-{timestamp}", user_id=user, timestamp=timestamp, outcome=outcome, **extra)


def test_accepted_events_update_table_and_index(harness: Harness) -> None:
    login(harness, "ana", NOW - 86400 * 3)
    harness.send(INTERACTIONS, event_id="x", user_id="bob", timestamp=NOW - 60, kind="post", app="blogs")
    login(harness, "carl", NOW - 10, outcome="failure")

    state = UserState.from_bytes(harness.table[b"ana"])
    assert state.last_login == NOW - 86400 * 3
    today = harness.processor.clock().today
    assert today is not None
    assert harness.index.known_users() == 3
    assert harness.index.active_users(today, 1) == 1
    assert harness.index.active_users(today, 7) == 2
    assert harness.index.active_users(today, 7, logins_only=True) == 1


def test_counters_by_outcome_kind_and_reason(harness: Harness) -> None:
    login(harness, "ana", NOW)
    login(harness, "ana", NOW, outcome="failure")
    harness.send(INTERACTIONS, event_id="x", user_id="bob", timestamp=NOW, kind="like", app="Unheard-Of")
    harness.send(INTERACTIONS, event_id="y", user_id="bob", timestamp=NOW, kind="juggle", app="blogs")
    assert harness.metric("socialitica_logins_total", {"outcome": "success"}) == 1
    assert harness.metric("socialitica_logins_total", {"outcome": "failure"}) == 1
    assert harness.metric("socialitica_interactions_total", {"kind": "like", "app": "other"}) == 1
    assert harness.metric("socialitica_events_rejected_total", {"reason": "unknown_kind"}) == 1
    assert harness.metric("socialitica_events_processed_total", {"topic": "t.interactions"}) == 2


def test_rejection_leaves_state_untouched(harness: Harness) -> None:
    result = harness.send(LOGINS, event_id="e", user_id="ana", timestamp="soon", outcome="success")
    assert isinstance(result, MessageOutcome)
    assert [item.rejection.reason.value for item in result.rejected] == ["invalid_timestamp"]
    assert harness.table == {}
    assert harness.index.known_users() == 0


def test_redelivered_offset_is_skipped(harness: Harness) -> None:
    harness.send(LOGINS, offset=5, event_id="e", user_id="ana", timestamp=NOW, outcome="success")
    again = harness.send(LOGINS, offset=5, event_id="e", user_id="ana", timestamp=NOW, outcome="success")
    assert isinstance(again, MessageOutcome)
    assert again.duplicates == 1
    assert again.accepted == 0
    state = UserState.from_bytes(harness.table[b"ana"])
    assert sum(entry.counts["login_success"] for entry in state.days.values()) == 1
    assert harness.metric("socialitica_logins_total", {"outcome": "success"}) == 1
    assert harness.metric("socialitica_events_redelivered_total", {"topic": "t.logins"}) == 1


def test_flush_batches_hand_over_dirty_users(harness: Harness) -> None:
    login(harness, "ana", NOW)
    login(harness, "bob", NOW)
    batches = harness.processor.take_flush_batches()
    assert [batch.partition for batch in batches] == [0]
    assert set(batches[0].users) == {"ana", "bob"}
    assert batches[0].positions == {"t.logins": event_position(1, 0), "t.interactions": -1}
    assert harness.processor.take_flush_batches() == []


def test_failed_flush_keeps_newer_state(harness: Harness) -> None:
    login(harness, "ana", NOW - 100)
    [batch] = harness.processor.take_flush_batches()
    login(harness, "ana", NOW)
    harness.processor.flush_failed(batch)
    [retry] = harness.processor.take_flush_batches()
    assert retry.users["ana"].last_login == NOW


def test_assign_rebuilds_index_and_dirty_set(harness: Harness) -> None:
    login(harness, "ana", NOW)
    harness.send(LOGINS, offset=10, event_id="e", user_id="bob", timestamp=NOW - 86400 * 40, outcome="success")
    stored = list(harness.table.items())

    fresh = Harness()
    users = fresh.processor.assign_partition(0, stored, {"t.logins": event_position(5, 0)})
    assert users == 2
    assert fresh.index.known_users() == 2
    today = fresh.processor.clock().today
    assert today is not None
    assert fresh.index.active_users(today, 30) == 1
    [batch] = fresh.processor.take_flush_batches()
    assert set(batch.users) == {"bob"}


def test_revoked_partition_stops_counting(harness: Harness) -> None:
    harness.send(LOGINS, partition=0, event_id="a", user_id="ana", timestamp=NOW, outcome="success")
    harness.send(LOGINS, partition=1, event_id="b", user_id="bob", timestamp=NOW, outcome="success")
    harness.processor.revoke_partition(1)
    assert harness.index.known_users() == 1
    assert [batch.partition for batch in harness.processor.take_flush_batches()] == [0]


def test_replay_clock_follows_newest_event() -> None:
    harness = Harness(replay=True)
    assert harness.processor.clock().today is None
    login(harness, "ana", 1_264_896_000.0)  # 2010-01-31 00:00 UTC
    assert harness.processor.clock().today == date(2010, 1, 31).toordinal()


def packed(*records: dict) -> bytes:
    return orjson.dumps(list(records))


def users_of_partition(partition: int, count: int) -> list[str]:
    found = [f"user{n}" for n in range(1000) if partition_for(f"user{n}", 4) == partition]
    return found[:count]


def test_packed_message_coalesces_per_user(harness: Harness) -> None:
    ana, bob = users_of_partition(2, 2)
    value = packed(
        {"event_id": "1", "user_id": ana, "timestamp": NOW - 30, "outcome": "success"},
        {"event_id": "2", "user_id": ana, "timestamp": NOW - 20, "outcome": "failure"},
        {"event_id": "3", "user_id": bob, "timestamp": NOW - 10, "outcome": "success"},
    )
    outcome = harness.processor.process(LOGINS, None, value, 2, 0, harness.table)
    assert outcome.accepted == 3
    assert outcome.rejected == []
    state = UserState.from_bytes(harness.table[ana.encode()])
    assert state.last_login == NOW - 30
    assert state.last_failed_login == NOW - 20
    assert state.positions[LOGINS] == event_position(0, 1)
    assert harness.index.known_users() == 2
    assert harness.metric("socialitica_logins_total", {"outcome": "success"}) == 2


def test_packed_redelivery_is_skipped(harness: Harness) -> None:
    [ana] = users_of_partition(1, 1)
    value = packed(
        {"event_id": "1", "user_id": ana, "timestamp": NOW - 30, "outcome": "success"},
        {"event_id": "2", "user_id": ana, "timestamp": NOW - 20, "outcome": "success"},
    )
    harness.processor.process(LOGINS, None, value, 1, 7, harness.table)
    again = harness.processor.process(LOGINS, None, value, 1, 7, harness.table)
    assert again.duplicates == 2
    state = UserState.from_bytes(harness.table[ana.encode()])
    assert sum(entry.counts["login_success"] for entry in state.days.values()) == 2


def test_packed_bad_elements_rejected_alone(harness: Harness) -> None:
    [ana] = users_of_partition(0, 1)
    [stranger] = users_of_partition(3, 1)
    value = packed(
        {"event_id": "1", "user_id": ana, "timestamp": NOW, "outcome": "success"},
        {"event_id": "2", "user_id": stranger, "timestamp": NOW, "outcome": "success"},
        {"event_id": "3", "user_id": ana, "timestamp": "never", "outcome": "success"},
    )
    outcome = harness.processor.process(LOGINS, None, value, 0, 0, harness.table)
    assert outcome.accepted == 1
    reasons = [item.rejection.reason.value for item in outcome.rejected]
    assert reasons == ["wrong_partition", "invalid_timestamp"]
    assert orjson.loads(outcome.rejected[0].raw)["user_id"] == stranger
    assert stranger.encode() not in harness.table


def test_unkeyed_single_message_rejected(harness: Harness) -> None:
    value = orjson.dumps({"event_id": "1", "user_id": "ana", "timestamp": NOW, "outcome": "success"})
    outcome = harness.processor.process(LOGINS, None, value, 0, 0, harness.table)
    assert outcome.accepted == 0
    assert [item.rejection.reason.value for item in outcome.rejected] == ["key_mismatch"]
    assert b"ana" not in harness.table
