"""Sending benchmark events through the ingest producer, and removing the topics afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient

from pipeline.bench.errors import BenchError
from pipeline.ingest.items import IngestItem
from pipeline.ingest.producer import EventProducer, IngestSummary
from pipeline.kafka import kafka_python_config
from pipeline.settings import Settings


@dataclass(frozen=True, slots=True)
class PreloadResult:
    """Events sent by one preload and how long sending and acknowledging them took."""

    events: int
    seconds: float


def preload(settings: Settings, bootstrap: str, items: Iterable[IngestItem], pack_size: int) -> PreloadResult:
    """Send every event, packed per partition, and wait until Kafka has acknowledged all of them."""
    started = time.monotonic()
    producer = EventProducer(settings, bootstrap, pack_size)
    summary = IngestSummary()
    try:
        producer.send_items(items, summary, "benchmark")
    finally:
        failed = producer.close()
    if failed or summary.rejected:
        raise BenchError(
            f"preloading failed: {failed} messages not acknowledged by {bootstrap}, "
            f"{summary.rejected} events rejected; see the log above"
        )
    return PreloadResult(summary.sent, time.monotonic() - started)


def delete_topics(settings: Settings, bootstrap: str, prefixes: Iterable[str]) -> list[str]:
    """Delete every topic whose name starts with one of ``prefixes``; return their names."""
    admin = KafkaAdminClient(**kafka_python_config(settings, bootstrap), client_id="socialitica-bench")
    try:
        names = [name for name in admin.list_topics() if name.startswith(tuple(prefixes))]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()
    return names
