"""Bulk restore of the user table from its changelog, before Faust's own recovery starts.

Faust's recovery applies a changelog record at a time through its event machinery, about 2,500
records per second on a small machine, so a worker without local state would need minutes per
million users. This reads the changelog partitions with a plain consumer, writes each fetched
batch to the partition's store in one write, and records the offset reached, where Faust's own
recovery then resumes. Partitions that the worker is not assigned are restored but not served.
When a rebalance later gives one to this worker, Faust replays only the records after that offset.

NOTE: the restore opens the database of every partition. On a worker that is assigned only
some of them, the other databases stay open with their memtables and block cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import rocksdict
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_MS = 500
MAX_RECORDS_PER_FETCH = 20_000


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """Records written to the local store per partition, and the time taken."""

    records: dict[int, int]
    seconds: float


def restore_changelog(
    store: Any, topic: str, partitions: int, client_config: dict[str, Any], timeout_s: float
) -> RestoreResult:
    """Bring partitions 0 to ``partitions - 1`` of ``store`` up to the end of ``topic``; return what was read.

    ``store`` is the Faust RocksDB store of the table whose changelog is ``topic``. A topic that
    does not exist yet (a first start) restores nothing.
    """
    return asyncio.run(_restore(store, topic, partitions, client_config, timeout_s))


async def _restore(
    store: Any, topic: str, partitions: int, client_config: dict[str, Any], timeout_s: float
) -> RestoreResult:
    started = time.monotonic()
    consumer = AIOKafkaConsumer(**client_config, enable_auto_commit=False, client_id="socialitica-restore")
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            logger.info("changelog %s does not exist yet; nothing to restore", topic)
            return RestoreResult({}, time.monotonic() - started)
        tps = [TopicPartition(topic, partition) for partition in range(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            persisted = store.persisted_offset(TP(topic, tp.partition))
            consumer.seek(tp, 0 if persisted is None else persisted + 1)
        logger.info("restoring %s up to end offsets %s", topic, {tp.partition: ends[tp] for tp in tps})
        records = await _copy(consumer, store, topic, ends, started + timeout_s)
    finally:
        await consumer.stop()
    seconds = time.monotonic() - started
    logger.info("restored %d changelog records of %s in %.1f s: %s", sum(records.values()), topic, seconds, records)
    return RestoreResult(records, seconds)


async def _copy(
    consumer: AIOKafkaConsumer, store: Any, topic: str, ends: dict[TopicPartition, int], deadline: float
) -> dict[int, int]:
    records = {tp.partition: 0 for tp in ends}
    remaining = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    while remaining:
        if time.monotonic() > deadline:
            behind = {tp.partition: ends[tp] - await consumer.position(tp) for tp in remaining}
            raise TimeoutError(
                f"restoring {topic} did not finish in time; records still to read per partition: {behind}. "
                "Check the broker, or raise SOCIALITICA_RESTORE_TIMEOUT_SECONDS"
            )
        fetched = await consumer.getmany(*remaining, timeout_ms=FETCH_TIMEOUT_MS, max_records=MAX_RECORDS_PER_FETCH)
        for tp, messages in fetched.items():
            if messages:
                _write(store, topic, tp.partition, messages)
                records[tp.partition] += len(messages)
        for tp in list(remaining):
            if await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)
    return records


def _write(store: Any, topic: str, partition: int, messages: list[Any]) -> None:
    batch = rocksdict.WriteBatch(raw_mode=True)
    for message in messages:
        if message.value is None:
            batch.delete(message.key)
        else:
            batch.put(message.key, message.value)
    store._db_for_partition(partition).write(batch)
    store.set_persisted_offset(TP(topic, partition), messages[-1].offset)
