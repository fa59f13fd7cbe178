"""Per-event work of the activity agents, independent of Faust so it can be unit-tested."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from agents.state import UserState, apply_event, is_applied, prune_days
from agents.windows import ActivityIndex
from pipeline.events import EventDecoder, InteractionEvent, LoginEvent, Rejection
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
class Duplicate:
    """An event whose offset the user's state had already applied (a redelivery)."""


class ActivityProcessor:
    """Validate events, fold them into the user table, and keep the window index and flush set.

    ``table`` is any mutable mapping from the user id's key bytes to serialised ``UserState``; in
    the worker it is the Faust table, which must be accessed from inside the stream iteration.
    """

    def __init__(
        self,
        decoder: EventDecoder,
        calendar: DayCalendar,
        metrics: PipelineMetrics,
        index: ActivityIndex,
        topic_names: tuple[str, str],
        replay_clock: bool,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._decoder = decoder
        self._calendar = calendar
        self._metrics = metrics
        self._index = index
        self._topic_names = topic_names
        self._replay_clock = replay_clock
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
    ) -> Rejection | Duplicate | UserState:
        """Apply one raw message; a ``Rejection`` is for the caller to send to the dead-letter topic."""
        metrics = self._metrics
        metrics.processed.labels(self._topic_names[topic_index]).inc()
        if value is None:
            value = b""
        if topic_index == LOGINS:
            event: LoginEvent | InteractionEvent | Rejection = self._decoder.decode_login(value, key)
        else:
            event = self._decoder.decode_interaction(value, key)
        if isinstance(event, Rejection):
            metrics.rejected.labels(event.reason.value).inc()
            return event

        table_key = event.user_id.encode()
        stored = table.get(table_key)
        state = UserState.from_bytes(stored) if stored is not None else None
        self._note_processed(partition, topic_index, offset)
        if is_applied(state, topic_index, offset):
            metrics.redelivered.labels(self._topic_names[topic_index]).inc()
            return Duplicate()

        calendar = self._calendar
        is_new = state is None
        old_activity_day = None if state is None else calendar.optional_day(state.last_activity)
        old_login_day = None if state is None else calendar.optional_day(state.last_login)

        day = calendar.day(event.timestamp)
        state = apply_event(state, event, day, topic_index, offset)
        prune_days(state, max(state.days), self._flushed.get(partition, (-1, -1)))
        table[table_key] = state.to_bytes()

        self._index.record(
            partition,
            is_new,
            old_activity_day,
            calendar.optional_day(state.last_activity),
            old_login_day,
            calendar.optional_day(state.last_login),
        )
        self._dirty.setdefault(partition, {})[event.user_id] = state
        self._count(event)
        return state

    def _note_processed(self, partition: int, topic_index: int, offset: int) -> None:
        offsets = self._processed.get(partition)
        if offsets is None:
            offsets = self._processed[partition] = [-1, -1]
        if offset > offsets[topic_index]:
            offsets[topic_index] = offset

    def _count(self, event: LoginEvent | InteractionEvent) -> None:
        metrics = self._metrics
        if isinstance(event, LoginEvent):
            metrics.logins.labels(event.outcome).inc()
        else:
            metrics.interactions.labels(event.kind, metrics.app_label(event.app)).inc()
        now = self._now()
        metrics.event_lag.observe(max(0.0, now - event.timestamp))
        if self.newest_event_timestamp is None or event.timestamp > self.newest_event_timestamp:
            self.newest_event_timestamp = event.timestamp

    # Clock and lag --------------------------------------------------------------------------------

    def clock(self) -> ClockReading:
        """Return today's reporting day: the wall clock's, or in replay mode the newest event's."""
        if self._replay_clock:
            today = self._calendar.optional_day(self.newest_event_timestamp)
        else:
            today = self._calendar.day(self._now())
        return ClockReading(today, self.newest_event_timestamp)

    def processed_offset(self, partition: int, topic_index: int) -> int:
        return self._processed.get(partition, [-1, -1])[topic_index]

    # Partition ownership --------------------------------------------------------------------------

    @property
    def owned_partitions(self) -> frozenset[int]:
        return self._index.partitions

    def assign_partition(
        self, partition: int, stored: Iterable[tuple[bytes, bytes]], flushed_offsets: dict[str, int]
    ) -> int:
        """Rebuild a newly owned partition's index from its table data; return its user count.

        Users changed after the partition's last flush are marked for the next flush, so a worker
        that crashed before flushing loses nothing from the warehouse.
        """
        flushed = (
            flushed_offsets.get(self._topic_names[LOGINS], -1),
            flushed_offsets.get(self._topic_names[INTERACTIONS], -1),
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
                processed[topic_index] = max(processed[topic_index], state.offsets[topic_index])
            if state.offsets[LOGINS] > flushed[LOGINS] or state.offsets[INTERACTIONS] > flushed[INTERACTIONS]:
                dirty[key.decode()] = state
            newest = state.last_activity
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
            offsets = self._processed.get(partition, [-1, -1])
            batches.append(
                FlushBatch(
                    partition,
                    users,
                    {self._topic_names[LOGINS]: offsets[LOGINS], self._topic_names[INTERACTIONS]: offsets[INTERACTIONS]},
                )
            )
        return batches

    def flush_succeeded(self, batch: FlushBatch) -> None:
        if batch.partition in self._index.partitions:
            self._flushed[batch.partition] = (
                batch.offsets[self._topic_names[LOGINS]],
                batch.offsets[self._topic_names[INTERACTIONS]],
            )

    def flush_failed(self, batch: FlushBatch) -> None:
        """Put a failed batch's users back, keeping any newer state that arrived meanwhile."""
        if batch.partition not in self._index.partitions:
            return
        dirty = self._dirty.setdefault(batch.partition, {})
        for user_id, state in batch.users.items():
            dirty.setdefault(user_id, state)
