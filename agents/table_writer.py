"""Batched reads and writes of a Faust table's partitions: one changelog batch per write.

Faust sends each table assignment to the changelog as its own record, with a future, callbacks
and sensor calls per record. At one changed user per event that caps a worker at a few thousand
events per second. ``TableWriter`` writes all the users a batch changed in one partition at once.
The records go to the changelog partition as a few Kafka record batches. Once the broker has
acknowledged them, they go to the partition's local store in one write, with the changelog
offset that Faust's recovery resumes from. The records are the ones Faust would have sent (raw key, raw
value, same topic and partition), so Faust's recovery, standbys and compaction work unchanged.

NOTE: this uses the store's per-partition databases and the producer's aiokafka client, which
faust-streaming 0.15 does not expose publicly; the worker pins faust-streaming to 0.15.3.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, MutableMapping, Sequence
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

    Writing takes two steps. ``stage`` queues a batch's serialised states at once, without
    awaiting, so the queue contains every key's versions in the order they were made, whichever
    agent made them. ``write_staged`` then sends each partition's queue, in order, and returns
    once the broker has acknowledged it, so the caller may acknowledge the events behind it.
    Until then ``read`` returns the newest staged version of a key, not the stored one.
    """

    def __init__(self, app: faust.App, table: faust.Table, in_memory: bool) -> None:
        self._app = app
        self._table = table
        self._in_memory = in_memory
        self._partitions: _Partitions | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._staged: dict[int, list[tuple[bytes, bytes]]] = {}
        self._newest: dict[int, dict[bytes, bytes]] = {}

    @property
    def changelog_topic(self) -> str:
        return self._table.changelog_topic.get_topic_name()

    def _store(self) -> _Partitions:
        if self._partitions is None:
            store = self._table.data
            self._partitions = _MemoryPartitions(store) if self._in_memory else _RocksPartitions(store, self.changelog_topic)
        return self._partitions

    def read(self, partition: int, key: bytes) -> bytes | None:
        newest = self._newest.get(partition)
        if newest is not None and key in newest:
            return newest[key]
        return self._store().read(partition, key)

    def stage(self, partition: int, items: Sequence[tuple[bytes, bytes]]) -> None:
        """Queue serialised states for ``write_staged``, after any queued earlier."""
        self._staged.setdefault(partition, []).extend(items)
        self._newest.setdefault(partition, {}).update(items)

    async def write_staged(self, partitions: Iterable[int]) -> None:
        """Make every state queued so far for ``partitions`` durable, in queue order."""
        for partition in partitions:
            lock = self._locks.setdefault(partition, asyncio.Lock())
            async with lock:
                items = self._staged.pop(partition, None)
                if not items:
                    continue  # another caller's write took this queue, and it is durable now
                last_offset = await self._send(partition, items)
                self._store().write(partition, items, last_offset)
                self._forget(partition, items)

    async def drain(self) -> None:
        """Make every state queued so far durable."""
        await self.write_staged(sorted(set(self._staged) | set(self._locks)))

    def _forget(self, partition: int, written: Sequence[tuple[bytes, bytes]]) -> None:
        """Drop staged versions that are now stored, keeping any newer one queued meanwhile."""
        newest = self._newest.get(partition, {})
        for key, value in written:
            if newest.get(key) is value:
                del newest[key]

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
            raise TableWriteError(
                f"sending {len(items)} records to changelog {topic}[{partition}] failed: {exc}; check the broker"
            ) from exc
        last, (_, count) = results[-1], pending[-1]
        return int(last.offset) + count - 1
