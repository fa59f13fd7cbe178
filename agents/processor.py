"""Per-message work of the activity agents, independent of Faust so it can be unit-tested."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson

from agents.state import UserState, apply_event, is_applied, prune_days
from agents.windows import ActivityIndex
from pipeline.events import EventDecoder, InteractionEvent, LoginEvent, Rejection, RejectReason
from pipeline.packing import MAX_PACKED_EVENTS, POSITION_BITS, event_position, is_packed, partition_for
from sinks.prometheus import ClockReading, PipelineMetrics
from sinks.warehouse import FlushBatch

logger = logging.getLogger(__name__)

LOGINS = 0
INTERACTIONS = 1

# Every real UTC offset is a multiple of 15 minutes, so all instants in one quarter hour fall on the
# same local calendar day and one cache entry per quarter hour is exact.
_QUARTER_HOUR = 900
_DAY_CACHE_LIMIT = 200_000


class DayCalendar:
    """Map POSIX times to proleptic ordinal days in the reporting time zone, DST included."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._cache: dict[int, int] = {}

    def day(self, timestamp: float) -> int:
        bucket = int(timestamp // _QUARTER_HOUR)
        day = self._cache.get(bucket)
        if day is None:
            if len(self._cache) > _DAY_CACHE_LIMIT:
                self._cache.clear()
            day = datetime.fromtimestamp(bucket * _QUARTER_HOUR, self._zone).toordinal()
            self._cache[bucket] = day
        return day

    def optional_day(self, timestamp: float | None) -> int | None:
        return None if timestamp is None else self.day(timestamp)


@dataclass(frozen=True, slots=True)
class Message:
    """The parts of a Kafka message the processor reads; ``context`` is the caller's event object."""

    key: bytes | None
    value: bytes | None
    partition: int
    offset: int
    context: object = None


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    """An event for the dead-letter topic: its bytes (the message's, or its packed element's) and why."""

    rejection: Rejection
    raw: bytes


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    """Result of one Kafka message: accepted, redelivered and rejected events."""

    accepted: int
    duplicates: int
    rejected: list[RejectedEvent]


@dataclass(slots=True)
class _Touched:
    state: UserState
    is_new: bool
    old_activity_day: int | None
    old_login_day: int | None
    changed: bool = False


class ActivityProcessor:
    """Validate events, fold them into the user table, and keep the window index and flush set.

    ``table`` is any mutable mapping from the user id's UTF-8 bytes to a serialised ``UserState``.
    In the worker it is the Faust table, which must be used from inside the stream iteration.
    Each user changed by a message is written to the table once, after all its events.
    """

    def __init__(
        self,
        decoder: EventDecoder,
        calendar: DayCalendar,
        metrics: PipelineMetrics,
        index: ActivityIndex,
        topic_names: tuple[str, str],
        replay_clock: bool,
        partitions: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._decoder = decoder
        self._calendar = calendar
        self._metrics = metrics
        self._index = index
        self._topic_names = topic_names
        self._replay_clock = replay_clock
        self._partitions = partitions
        self._now = now
        self._dirty: dict[int, dict[str, UserState]] = {}
        self._processed: dict[int, list[int]] = {}
        self._flushed: dict[int, tuple[int, int]] = {}
        self.newest_event_timestamp: float | None = None

    # Event path ---------------------------------------------------------------------------------

    def process(
        self,
        topic_index: int,
        key: bytes | None,
        value: bytes | None,
        partition: int,
        offset: int,
        table: MutableMapping[bytes, bytes],
    ) -> MessageOutcome:
        """Apply one Kafka message, single or packed; the caller sends ``rejected`` to the dead-letter topic."""
        return self.process_batch(topic_index, [Message(key, value, partition, offset)], table)[0]

    def process_batch(
        self,
        topic_index: int,
        messages: Sequence[Message],
        table: MutableMapping[bytes, bytes],
        enter_partition: Callable[[Message], None] = lambda message: None,
    ) -> list[MessageOutcome]:
        """Apply a batch of messages from one topic; return one outcome per message, in order.

        Messages are handled partition by partition, in offset order within each. Before a
        partition's messages, ``enter_partition`` receives its first message: the Faust store
        reads and writes the partition of the current event, so the worker makes that message
        current. Each user a partition's messages change is written to the table once, at the
        end of that partition. The method never awaits, so no other agent can interleave.
        """
        by_partition: dict[int, list[int]] = {}
        for position, message in enumerate(messages):
            by_partition.setdefault(message.partition, []).append(position)

        outcomes: list[MessageOutcome | None] = [None] * len(messages)
        for partition, positions in by_partition.items():
            enter_partition(messages[positions[0]])
            touched: dict[str, _Touched] = {}
            for position in positions:
                outcomes[position] = self._process_message(topic_index, messages[position], table, touched)
            self._store(partition, touched, table)
        return [outcome for outcome in outcomes if outcome is not None]

    def _process_message(
        self,
        topic_index: int,
        message: Message,
        table: MutableMapping[bytes, bytes],
        touched: dict[str, _Touched],
    ) -> MessageOutcome:
        partition, offset = message.partition, message.offset
        events, rejected = self._decode(topic_index, message.key, message.value or b"", partition)
        self._metrics.processed.labels(self._topic_names[topic_index]).inc(len(events) + len(rejected))

        duplicates = 0
        login_outcomes: Counter[str] = Counter()
        interaction_labels: Counter[tuple[str, str]] = Counter()
        now = self._now()
        calendar = self._calendar
        lag = self._metrics.event_lag
        if events:
            self._note_processed(partition, topic_index, event_position(offset, events[-1][0]))
        for index, event in events:
            position = event_position(offset, index)
            entry = touched.get(event.user_id)
            if entry is None:
                entry = touched[event.user_id] = self._load(table, event.user_id)
            if is_applied(entry.state, topic_index, position):
                duplicates += 1
                continue
            apply_event(entry.state, event, calendar.day(event.timestamp), topic_index, position)
            entry.changed = True
            if isinstance(event, LoginEvent):
                login_outcomes[event.outcome] += 1
            else:
                interaction_labels[(event.kind, self._metrics.app_label(event.app))] += 1
            lag.observe(max(0.0, now - event.timestamp))
            if self.newest_event_timestamp is None or event.timestamp > self.newest_event_timestamp:
                self.newest_event_timestamp = event.timestamp

        self._count(topic_index, rejected, duplicates, login_outcomes, interaction_labels)
        return MessageOutcome(len(events) - duplicates, duplicates, rejected)

    def _decode(
        self, topic_index: int, key: bytes | None, value: bytes, partition: int
    ) -> tuple[list[tuple[int, LoginEvent | InteractionEvent]], list[RejectedEvent]]:
        is_login = topic_index == LOGINS
        if not is_packed(value) and key is None:
            detail = "message has no key; produce each event with key=user_id, or pack events per partition"
            return [], [RejectedEvent(Rejection(RejectReason.KEY_MISMATCH, detail), value)]
        if not is_packed(value):
            if is_login:
                single: LoginEvent | InteractionEvent | Rejection = self._decoder.decode_login(value, key)
            else:
                single = self._decoder.decode_interaction(value, key)
            if isinstance(single, Rejection):
                return [], [RejectedEvent(single, value)]
            return [(0, single)], []

        try:
            records = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            return [], [RejectedEvent(Rejection(RejectReason.INVALID_JSON, f"value is not valid JSON: {exc}"), value)]
        events: list[tuple[int, LoginEvent | InteractionEvent]] = []
        rejected: list[RejectedEvent] = []
        for index, record in enumerate(records):
            if index >= MAX_PACKED_EVENTS:
                detail = f"a packed message holds at most {MAX_PACKED_EVENTS} events; this one has {len(records)}"
                rejected.append(RejectedEvent(Rejection(RejectReason.PACKED_TOO_LARGE, detail), orjson.dumps(record)))
                continue
            event = self._decoder.decode_record(record, is_login)
            if not isinstance(event, Rejection) and partition_for(event.user_id, self._partitions) != partition:
                event = Rejection(
                    RejectReason.WRONG_PARTITION,
                    f"user_id {event.user_id!r} belongs to partition "
                    f"{partition_for(event.user_id, self._partitions)}, not {partition}; pack events per murmur2 partition",
                )
            if isinstance(event, Rejection):
                rejected.append(RejectedEvent(event, orjson.dumps(record)))
            else:
                events.append((index, event))
        return events, rejected

    def _load(self, table: MutableMapping[bytes, bytes], user_id: str) -> _Touched:
        stored = table.get(user_id.encode())
        if stored is None:
            # apply_event lowers first_seen to the first event's time.
            return _Touched(UserState(first_seen=float("inf")), True, None, None)
        state = UserState.from_bytes(stored)
        calendar = self._calendar
        return _Touched(state, False, calendar.optional_day(state.last_activity), calendar.optional_day(state.last_login))

    def _store(self, partition: int, touched: dict[str, _Touched], table: MutableMapping[bytes, bytes]) -> None:
        calendar = self._calendar
        dirty = self._dirty.setdefault(partition, {})
        flushed = self._flushed.get(partition, (-1, -1))
        for user_id, entry in touched.items():
            if not entry.changed:
                continue  # every event of this user in the message was a redelivery
            state = entry.state
            prune_days(state, max(state.days), flushed)
            table[user_id.encode()] = state.to_bytes()
            self._index.record(
                partition,
                entry.is_new,
                entry.old_activity_day,
                calendar.optional_day(state.last_activity),
                entry.old_login_day,
                calendar.optional_day(state.last_login),
            )
            dirty[user_id] = state

    def _note_processed(self, partition: int, topic_index: int, position: int) -> None:
        positions = self._processed.get(partition)
        if positions is None:
            positions = self._processed[partition] = [-1, -1]
        if position > positions[topic_index]:
            positions[topic_index] = position

    def _count(
        self,
        topic_index: int,
        rejected: list[RejectedEvent],
        duplicates: int,
        login_outcomes: Counter[str],
        interaction_labels: Counter[tuple[str, str]],
    ) -> None:
        metrics = self._metrics
        for item in rejected:
            metrics.rejected.labels(item.rejection.reason.value).inc()
        if duplicates:
            metrics.redelivered.labels(self._topic_names[topic_index]).inc(duplicates)
        for outcome, count in login_outcomes.items():
            metrics.logins.labels(outcome).inc(count)
        for (kind, app), count in interaction_labels.items():
            metrics.interactions.labels(kind, app).inc(count)

    # Clock and lag --------------------------------------------------------------------------------

    def clock(self) -> ClockReading:
        """Return today's reporting day: the wall clock's, or in replay mode the newest event's."""
        if self._replay_clock:
            today = self._calendar.optional_day(self.newest_event_timestamp)
        else:
            today = self._calendar.day(self._now())
        return ClockReading(today, self.newest_event_timestamp)

    def processed_offset(self, partition: int, topic_index: int) -> int:
        """Return the newest Kafka offset processed in a partition of a topic (-1 for none)."""
        position = self._processed.get(partition, [-1, -1])[topic_index]
        return -1 if position < 0 else position >> POSITION_BITS

    # Partition ownership --------------------------------------------------------------------------

    @property
    def owned_partitions(self) -> frozenset[int]:
        return self._index.partitions

    def assign_partition(
        self, partition: int, stored: Iterable[tuple[bytes, bytes]], flushed_positions: dict[str, int]
    ) -> int:
        """Rebuild a newly owned partition's index from its table data; return its user count.

        Users changed after the partition's last flush are marked for the next flush, so a worker
        that crashed before flushing loses nothing from the warehouse.
        """
        flushed = (
            flushed_positions.get(self._topic_names[LOGINS], -1),
            flushed_positions.get(self._topic_names[INTERACTIONS], -1),
        )
        self._flushed[partition] = flushed
        self._index.reset_partition(partition)
        dirty = self._dirty.setdefault(partition, {})
        processed = self._processed.setdefault(partition, [-1, -1])
        calendar = self._calendar
        users = 0
        for key, value in stored:
            state = UserState.from_bytes(value)
            users += 1
            self._index.record(
                partition,
                True,
                None,
                calendar.optional_day(state.last_activity),
                None,
                calendar.optional_day(state.last_login),
            )
            for topic_index in (LOGINS, INTERACTIONS):
                processed[topic_index] = max(processed[topic_index], state.positions[topic_index])
            if state.positions[LOGINS] > flushed[LOGINS] or state.positions[INTERACTIONS] > flushed[INTERACTIONS]:
                dirty[key.decode()] = state
            # Failed logins count for the replay clock as they do while running.
            newest = max((t for t in (state.last_activity, state.last_failed_login) if t is not None), default=None)
            if newest is not None and (self.newest_event_timestamp is None or newest > self.newest_event_timestamp):
                self.newest_event_timestamp = newest
        return users

    def revoke_partition(self, partition: int) -> None:
        """Stop exporting a partition at once; its unflushed users are the new owner's to flush."""
        self._index.drop_partition(partition)
        self._dirty.pop(partition, None)
        self._processed.pop(partition, None)
        self._flushed.pop(partition, None)

    # Flushing -------------------------------------------------------------------------------------

    def take_flush_batches(self, partitions: Iterable[int] | None = None) -> list[FlushBatch]:
        """Hand over the changed users of each partition, clearing them here."""
        chosen = list(self._dirty) if partitions is None else [p for p in partitions if p in self._dirty]
        batches = []
        for partition in chosen:
            users = self._dirty[partition]
            if not users:
                continue
            self._dirty[partition] = {}
            positions = self._processed.get(partition, [-1, -1])
            batches.append(
                FlushBatch(
                    partition,
                    users,
                    {
                        self._topic_names[LOGINS]: positions[LOGINS],
                        self._topic_names[INTERACTIONS]: positions[INTERACTIONS],
                    },
                )
            )
        return batches

    def flush_succeeded(self, batch: FlushBatch) -> None:
        if batch.partition in self._index.partitions:
            self._flushed[batch.partition] = (
                batch.positions[self._topic_names[LOGINS]],
                batch.positions[self._topic_names[INTERACTIONS]],
            )

    def flush_failed(self, batch: FlushBatch) -> None:
        """Put a failed batch's users back, keeping any newer state that arrived meanwhile."""
        if batch.partition not in self._index.partitions:
            return
        dirty = self._dirty.setdefault(batch.partition, {})
        for user_id, state in batch.users.items():
            dirty.setdefault(user_id, state)
