"""The Python ceiling: a plain aiokafka consumer that only decodes the events of the event topics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaConsumer

from pipeline.bench.errors import BenchError
from pipeline.kafka import bootstrap_servers

FETCH_TIMEOUT_MS = 1000


@dataclass(frozen=True, slots=True)
class RawConsumerResult:
    """Events decoded and the time from the first fetched batch to the last decoded event."""

    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def consume_raw(bootstrap: str, topics: Iterable[str], expected_events: int, timeout_s: float) -> RawConsumerResult:
    """Read ``topics`` from the beginning until ``expected_events`` events are decoded.

    Each message is parsed with ``orjson.loads``. For a packed message (a JSON array), each event's
    ``user_id`` is read, so the figure includes the per-event decoding that the worker needs. It
    excludes everything else: validation, state and commits.
    """
    return asyncio.run(_consume(bootstrap, list(topics), expected_events, timeout_s))


async def _consume(bootstrap: str, topics: list[str], expected_events: int, timeout_s: float) -> RawConsumerResult:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers(bootstrap),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="socialitica-bench-raw",
    )
    await consumer.start()
    try:
        # Without a group id every partition of the subscribed topics is assigned, and with no
        # committed offsets auto_offset_reset starts each one at its beginning.
        consumer.subscribe(topics=topics)

        deadline = time.monotonic() + timeout_s
        events = 0
        first_batch: float | None = None
        while events < expected_events:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the raw consumer decoded {events} of {expected_events} events from {topics} "
                    f"within {timeout_s:.0f} s; check that the preload reached the broker {bootstrap}"
                )
            batches = await consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
            if batches and first_batch is None:
                first_batch = time.perf_counter()
            for messages in batches.values():
                for message in messages:
                    events += _decode(message.value or b"")
        finished = time.perf_counter()
    finally:
        await consumer.stop()
    return RawConsumerResult(events, finished - (first_batch or finished))


def _decode(value: bytes) -> int:
    decoded = orjson.loads(value)
    if isinstance(decoded, list):
        for record in decoded:
            record.get("user_id")
        return len(decoded)
    decoded.get("user_id")
    return 1
