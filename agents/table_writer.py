"""Batched reads and writes of a Faust table's partitions: one changelog batch per write.

Faust sends each table assignment to the changelog as its own record, with a future, callbacks
and sensor calls per record. At one changed user per event that caps a worker at a few thousand
events per second. ``TableWriter`` writes all the users a batch changed in one partition at once:
the records go to the changelog partition as a few Kafka record batches, and once the broker has
acknowledged them they go to the partition's local store in one write, with the changelog offset
that Faust's recovery resumes from. The records are the ones Faust would have sent (raw key, raw
value, same topic and partition), so Faust's recovery, standbys and compaction work unchanged.

NOTE: this uses the store's per-partition databases and the producer's aiokafka client, which
faust-streaming 0.15 does not expose publicly; the worker pins faust-streaming to 0.15.3.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping, Sequence
from typing import Any, Protocol

import faust
import rocksdict
from faust.types import TP

logger = logging.getLogger(__name__)


class TableWriteError(RuntimeError):
    """A table write could not be made durable; the worker must stop rather than acknowledge events."""


class _Partitions(Protocol):
    """The part of a store that reads and writes one partition."""

    def read(self, partition: int, key: bytes) -> bytes | None: ...

    def write(self, partition: int, items: Sequence[tuple[bytes, bytes]], changelog_offset: int) -> None: ...


class _RocksPartitions:
    """Partitions of Faust's RocksDB store: one database per partition."""

    def __init__(self, store: Any, changelog_topic: str) -> None:
        self._store = store
        self._changelog_topic = changelog_topic

    def read(self, partition: int, key: bytes) -> bytes | None:
        value: bytes | None = self._store._db_for_partition(partition).get(key)
        return value

    def write(self, partition: int, items: Sequence[tuple[bytes, bytes]], changelog_offset: int) -> None:
        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in items:
            batch.put(key, value)
        self._store._db_for_partition(partition).write(batch)
        self._store.set_persisted_offset(TP(self._changelog_topic, partition), changelog_offset)


class _MemoryPartitions:
    """Partitions of Faust's in-memory store: one dict, with each key's partition beside it."""

    def __init__(self, store: Any) -> None:
        self._data: MutableMapping[bytes, bytes] = store.data
        self._key_partition: MutableMapping[bytes, int] = store._key_partition

    def read(self, partition: int, key: bytes) -> bytes | None:
        if self._key_partition.get(key) != partition:
            return None
        return self._data.get(key)

    def write(self, partition: int, items: Sequence[tuple[bytes, bytes]], changelog_offset: int) -> None:
        for key, value in items:
            self._data[key] = value
            self._key_partition[key] = partition


class TableWriter:
    """Read users from, and write batches of users to, the partitions of one Faust table.

    Writes to one partition run one at a time and in call order, so the changelog and the store
    see a key's versions in the order they were made. ``write`` returns once the broker has
    acknowledged the records, so the caller may then acknowledge the events behind them.
    """

    def __init__(self, app: faust.App, table: faust.Table, in_memory: bool) -> None:
        self._app = app
        self._table = table
        self._in_memory = in_memory
        self._partitions: _Partitions | None = None
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def changelog_topic(self) -> str:
        return self._table.changelog_topic.get_topic_name()

    def _store(self) -> _Partitions:
        if self._partitions is None:
            store = self._table.data
            self._partitions = _MemoryPartitions(store) if self._in_memory else _RocksPartitions(store, self.changelog_topic)
        return self._partitions

    def read(self, partition: int, key: bytes) -> bytes | None:
        return self._store().read(partition, key)

    async def write(self, partition: int, items: Sequence[tuple[bytes, bytes]]) -> None:
        if not items:
            return
        lock = self._locks.setdefault(partition, asyncio.Lock())
        async with lock:
            last_offset = await self._send(partition, items)
            self._store().write(partition, items, last_offset)

    async def drain(self) -> None:
        """Wait until every write started before this call is durable."""
        for lock in list(self._locks.values()):
            async with lock:
                pass

    async def _send(self, partition: int, items: Sequence[tuple[bytes, bytes]]) -> int:
        """Send the records to the changelog partition; return the offset of the last one."""
        producer = self._app.producer._ensure_producer()  # type: ignore[attr-defined]
        topic = self.changelog_topic
        pending: list[tuple[asyncio.Future[Any], int]] = []
        batch = producer.create_batch()
        for key, value in items:
            if batch.append(key=key, value=value, timestamp=None) is None:
                pending.append((await producer.send_batch(batch, topic, partition=partition), batch.record_count()))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise TableWriteError(
                        f"the state of user {key.decode(errors='replace')!r} ({len(value)} bytes) does not fit "
                        "in one producer batch; raise the producer's max_batch_size"
                    )
        pending.append((await producer.send_batch(batch, topic, partition=partition), batch.record_count()))
        try:
            results = await asyncio.gather(*(future for future, _ in pending))
        except Exception as exc:
            raise TableWriteError(f"changelog {topic}[{partition}] did not take {len(items)} records: {exc}") from exc
        last, (_, count) = results[-1], pending[-1]
        return int(last.offset) + count - 1
