"""TableWriter's queue: reads see staged states, and writes keep each key's versions in order."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from agents.table_writer import TableWriter

TOPIC = "app-users-changelog"


@dataclass
class Sent:
    offset: int


@dataclass
class FakeBatch:
    records: list[tuple[bytes, bytes]] = field(default_factory=list)

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object:
        self.records.append((key, value))
        return object()

    def record_count(self) -> int:
        return len(self.records)


class FakeProducer:
    """Records every batch per partition and acknowledges it after the event loop turns once."""

    def __init__(self) -> None:
        self.log: dict[int, list[tuple[bytes, bytes]]] = {}

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> "asyncio.Future[Sent]":
        assert topic == TOPIC
        log = self.log.setdefault(partition, [])
        base = len(log)
        log.extend(batch.records)
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, Sent(base))
        return future


class FakeApp:
    def __init__(self, producer: FakeProducer) -> None:
        self.producer = self
        self._producer = producer

    def _ensure_producer(self) -> FakeProducer:
        return self._producer


class FakeStore:
    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self._key_partition: dict[bytes, int] = {}


class FakeTable:
    def __init__(self) -> None:
        self.data = FakeStore()
        self.changelog_topic = self

    def get_topic_name(self) -> str:
        return TOPIC


def make_writer() -> tuple[TableWriter, FakeProducer, FakeStore]:
    producer, table = FakeProducer(), FakeTable()
    writer = TableWriter(FakeApp(producer), table, in_memory=True)  # type: ignore[arg-type]
    return writer, producer, table.data


def test_read_sees_staged_state_until_stored() -> None:
    writer, _, store = make_writer()
    writer.stage(0, [(b"ana", b"v1")])
    assert writer.read(0, b"ana") == b"v1"
    assert store.data == {}

    asyncio.run(writer.write_staged([0]))
    assert store.data == {b"ana": b"v1"}
    assert writer.read(0, b"ana") == b"v1"
    assert writer.read(1, b"ana") is None


def test_interleaved_writers_keep_version_order() -> None:
    writer, producer, store = make_writer()

    async def two_agents() -> None:
        # The first agent stages ana in partitions 0 and 1; the second stages a newer ana in
        # partition 1 and writes it before the first agent reaches partition 1.
        writer.stage(0, [(b"bob", b"b1")])
        writer.stage(1, [(b"ana", b"a1")])
        first = asyncio.create_task(writer.write_staged([0, 1]))
        await asyncio.sleep(0)
        writer.stage(1, [(b"ana", b"a2")])
        await writer.write_staged([1])
        await first

    asyncio.run(two_agents())
    assert producer.log[1] == [(b"ana", b"a1"), (b"ana", b"a2")]
    assert store.data[b"ana"] == b"a2"
    assert writer.read(1, b"ana") == b"a2"


def test_drain_writes_every_queue() -> None:
    writer, producer, store = make_writer()
    writer.stage(2, [(b"ana", b"a1"), (b"carl", b"c1")])
    writer.stage(3, [(b"dora", b"d1")])
    asyncio.run(writer.drain())
    assert set(store.data) == {b"ana", b"carl", b"dora"}
    assert store._key_partition == {b"ana": 2, b"carl": 2, b"dora": 3}
    assert sorted(producer.log) == [2, 3]


def test_newer_staged_state_survives_older_write() -> None:
    writer, _, _ = make_writer()

    async def run() -> Any:
        writer.stage(0, [(b"ana", b"a1")])
        task = asyncio.create_task(writer.write_staged([0]))
        await asyncio.sleep(0)  # the first write has taken the queue and awaits its acknowledgement
        writer.stage(0, [(b"ana", b"a2")])
        await task
        return writer.read(0, b"ana")

    assert asyncio.run(run()) == b"a2"
