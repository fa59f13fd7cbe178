"""Per-message work of the activity agents, independent of Faust so it can be unit-tested."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson

from agents.state import UserState, apply_event, index_fields, is_applied, prune_days
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
    """The parts of a Kafka message the processor reads."""

    key: bytes | None
    value: bytes | None
    partition: int
    offset: int


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


TableRead = Callable[[int, bytes], bytes | None]
"""Return the stored state of a user key in a partition of the user table, or None."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Outcomes of a batch, one per message in order, and the serialised states to store per partition."""

    outcomes: list[MessageOutcome]
    writes: dict[int, list[tuple[bytes, bytes]]]


@dataclass(slots=True)
class _Cached:
    """A parsed user state kept between batches, with the days the activity index counts it under.

    Every state the cache has seen is in the table or in the caller's queue of writes, which
    ``read`` consults first, so a cached entry can be dropped at any time between batches.
    ``handed_over`` marks a state that a warehouse flush is reading in another thread: the next
    event changes a copy instead.
    """

    state: UserState
    indexed: bool
    activity_day: int | None
    login_day: int | None
    changed: bool = False
    handed_over: bool = False


class ActivityProcessor:
    """Validate events, fold them into the user table, and keep the window index and flush set.

    The user table maps the user id's UTF-8 bytes to a serialised ``UserState``. The processor
    reads it through a callable and returns the writes, so it needs neither Faust nor Kafka.
    Each user changed by a batch is written once, after all its events. Up to ``cache_users``
    parsed states per partition stay in memory, so the table is read only for users not seen
    recently; this processor must be the only writer of its partitions' keys.
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
        cache_users: int = 100_000,
    ) -> None:
        self._decoder = decoder
        self._calendar = calendar
        self._metrics = metrics
        self._index = index
        self._topic_names = topic_names
        self._replay_clock = replay_clock
        self._partitions = partitions
        self._now = now
        self._cache_users = cache_users
        self._cache: dict[int, dict[str, _Cached]] = {}
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
        """Apply one Kafka message to a dict-like table at once; for tests and tools."""
        result = self.process_batch(
            topic_index, [Message(key, value, partition, offset)], lambda _, user_key: table.get(user_key)
        )
        for writes in result.writes.values():
            table.update(writes)
        return result.outcomes[0]

    def process_batch(self, topic_index: int, messages: Sequence[Message], read: TableRead) -> BatchResult:
        """Apply a batch of messages from one topic; return one outcome per message, and the table writes.

        Messages are handled partition by partition, in offset order within each. ``read`` returns
        a user's stored state from the table; it is called only for users not in the cache. Each
        user the batch changes appears once in ``writes``, which the caller must make durable in
        the table before it acknowledges the messages. The method never awaits, so the cache,
        the index and the flush set always hold whole batches.
        """
        by_partition: dict[int, list[int]] = {}
        for position, message in enumerate(messages):
            by_partition.setdefault(message.partition, []).append(position)

        outcomes: list[MessageOutcome | None] = [None] * len(messages)
        writes: dict[int, list[tuple[bytes, bytes]]] = {}
        for partition, positions in by_partition.items():
            cache = self._cache.setdefault(partition, {})
            touched: dict[str, _Cached] = {}
            for position in positions:
                outcomes[position] = self._process_message(topic_index, messages[position], read, cache, touched)
            changed = self._store(partition, touched)
            if changed:
                writes[partition] = changed
            self._trim_cache(cache)
        return BatchResult([outcome for outcome in outcomes if outcome is not None], writes)

    def _process_message(
        self,
        topic_index: int,
        message: Message,
        read: TableRead,
        cache: dict[str, _Cached],
        touched: dict[str, _Cached],
    ) -> MessageOutcome:
        partition, offset = message.partition, message.offset
        events, rejected = self._decode(topic_index, message.key, message.value or b"", partition)
        self._metrics.processed.labels(self._topic_names[topic_index]).inc(len(events) + len(rejected))

        duplicates = 0
        login_outcomes: Counter[str] = Counter()
        interaction_labels: Counter[tuple[str, str]] = Counter()
        now = self._now()
        calendar = self._calendar
        lags: list[float] = []
        if events:
            self._note_processed(partition, topic_index, event_position(offset, events[-1][0]))
        for index, event in events:
            position = event_position(offset, index)
            entry = touched.get(event.user_id)
            if entry is None:
                entry = touched[event.user_id] = self._load(read, partition, cache, event.user_id)
            if is_applied(entry.state, topic_index, position):
                duplicates += 1
                continue
            apply_event(entry.state, event, calendar.day(event.timestamp), topic_index, position)
            entry.changed = True
            if isinstance(event, LoginEvent):
                login_outcomes[event.outcome] += 1
            else:
                interaction_labels[(event.kind, self._metrics.app_label(event.app))] += 1
            lags.append(max(0.0, now - event.timestamp))
            if self.newest_event_timestamp is None or event.timestamp > self.newest_event_timestamp:
                self.newest_event_timestamp = event.timestamp

        self._metrics.event_lag.observe_many(lags)
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

    def _load(self, read: TableRead, partition: int, cache: dict[str, _Cached], user_id: str) -> _Cached:
        entry = cache.get(user_id)
        if entry is not None:
            if entry.handed_over:
                entry.state = entry.state.copy()
                entry.handed_over = False
            return entry
        stored = read(partition, user_id.encode())
        if stored is None:
            # apply_event lowers first_seen to the first event's time.
            entry = _Cached(UserState(first_seen=float("inf")), False, None, None)
        else:
            state = UserState.from_bytes(stored)
            calendar = self._calendar
            entry = _Cached(
                state, True, calendar.optional_day(state.last_activity), calendar.optional_day(state.last_login)
            )
        if self._cache_users:
            cache[user_id] = entry
        return entry

    def _store(self, partition: int, touched: dict[str, _Cached]) -> list[tuple[bytes, bytes]]:
        calendar = self._calendar
        writes: list[tuple[bytes, bytes]] = []
        dirty = self._dirty.setdefault(partition, {})
        flushed = self._flushed.get(partition, (-1, -1))
        for user_id, entry in touched.items():
            if not entry.changed:
                continue  # every event of this user in the batch was a redelivery
            entry.changed = False
            state = entry.state
            prune_days(state, max(state.days), flushed)
            writes.append((user_id.encode(), state.to_bytes()))
            activity_day = calendar.optional_day(state.last_activity)
            login_day = calendar.optional_day(state.last_login)
            self._index.record(
                partition, not entry.indexed, entry.activity_day, activity_day, entry.login_day, login_day
            )
            entry.indexed, entry.activity_day, entry.login_day = True, activity_day, login_day
            dirty[user_id] = state
        return writes

    def _trim_cache(self, cache: dict[str, _Cached]) -> None:
        """Drop the oldest-loaded tenth once a partition's cache is full; ``read`` still finds them."""
        if len(cache) <= self._cache_users:
            return
        excess = len(cache) - self._cache_users + self._cache_users // 10
        for user_id in list(itertools.islice(cache, excess)):
            del cache[user_id]

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
        activity = self._index.reset_partition(partition)
        self._cache[partition] = {}
        dirty = self._dirty.setdefault(partition, {})
        processed = self._processed.setdefault(partition, [-1, -1])
        day = self._calendar.day
        newest = -math.inf if self.newest_event_timestamp is None else self.newest_event_timestamp
        # One tight loop over every stored user: at a million users it is most of a restart.
        for key, value in stored:
            last_login, last_failed, last_activity, (login_position, interaction_position) = index_fields(value)
            activity.known_users += 1
            if last_activity is not None:
                activity.by_activity_day[day(last_activity)] += 1
                if last_activity > newest:
                    newest = last_activity
            if last_login is not None:
                activity.by_login_day[day(last_login)] += 1
            # Failed logins move the replay clock as they do while running.
            if last_failed is not None and last_failed > newest:
                newest = last_failed
            if login_position > processed[LOGINS]:
                processed[LOGINS] = login_position
            if interaction_position > processed[INTERACTIONS]:
                processed[INTERACTIONS] = interaction_position
            if login_position > flushed[LOGINS] or interaction_position > flushed[INTERACTIONS]:
                dirty[key.decode()] = UserState.from_bytes(value)
        if newest != -math.inf:
            self.newest_event_timestamp = newest
        return activity.known_users

    def revoke_partition(self, partition: int) -> None:
        """Stop exporting a partition at once; its unflushed users are the new owner's to flush."""
        self._index.drop_partition(partition)
        self._cache.pop(partition, None)
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
            self._hand_over(partition, users)
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

    def _hand_over(self, partition: int, users: dict[str, UserState]) -> None:
        """Mark cached states that a flush will read, so the next event for them changes a copy."""
        cache = self._cache.get(partition, {})
        for user_id, state in users.items():
            entry = cache.get(user_id)
            if entry is not None and entry.state is state:
                entry.handed_over = True

    def _release(self, batch: FlushBatch) -> None:
        """Let events change these states in place again: the flush no longer reads them."""
        cache = self._cache.get(batch.partition, {})
        for user_id, state in batch.users.items():
            entry = cache.get(user_id)
            if entry is not None and entry.state is state:
                entry.handed_over = False

    def flush_succeeded(self, batch: FlushBatch) -> None:
        self._release(batch)
        if batch.partition in self._index.partitions:
            self._flushed[batch.partition] = (
                batch.positions[self._topic_names[LOGINS]],
                batch.positions[self._topic_names[INTERACTIONS]],
            )

    def flush_failed(self, batch: FlushBatch) -> None:
        """Put a failed batch's users back, keeping any newer state that arrived meanwhile."""
        self._release(batch)
        if batch.partition not in self._index.partitions:
            return
        dirty = self._dirty.setdefault(batch.partition, {})
        for user_id, state in batch.users.items():
            dirty.setdefault(user_id, state)
