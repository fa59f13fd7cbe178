"""Sending ingested items to Kafka: events to their topic, rejected rows to the dead-letter topic."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from kafka import KafkaProducer
from kafka.errors import KafkaError

from pipeline.errors import SocialiticaError
from pipeline.ingest.items import IngestItem, Outgoing, Rejected, Skipped
from pipeline.kafka import kafka_python_config
from pipeline.packing import MAX_PACKED_EVENTS, partition_for
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

MAX_REJECTED_SHOWN = 10
# Packs stay under Kafka's default 1 MiB message limit with room for the record overhead.
MAX_PACK_BYTES = 900 * 1024


class ProduceError(SocialiticaError):
    """Kafka did not acknowledge some messages."""


@dataclass(slots=True)
class IngestSummary:
    """Counts of one ingest run, with the first rejected rows for the user to fix."""

    sent: int = 0
    skipped: int = 0
    rejected: int = 0
    failed: int = 0
    first_rejected: list[Rejected] = field(default_factory=list)
    source: str = ""


class EventProducer:
    """A kafka-python producer that sends with acks=all and reports delivery failures.

    With ``pack_size`` above 1, events are packed per partition into JSON arrays of up to that
    many events (see ``pipeline.packing``). With 1, each event is its own message keyed by user id.
    """

    def __init__(self, settings: Settings, broker: str, pack_size: int = 1) -> None:
        if not 1 <= pack_size <= MAX_PACKED_EVENTS:
            raise ValueError(f"pack size {pack_size} is outside 1..{MAX_PACKED_EVENTS}")
        self._settings = settings
        self._topics = {"logins": settings.logins_topic, "interactions": settings.interactions_topic}
        self._pack_size = pack_size
        self._packs: dict[tuple[str, int], list[bytes]] = {}
        self._pack_bytes: dict[tuple[str, int], int] = {}
        self._partition_counts: dict[str, int] = {}
        self._failures = 0
        self._first_error: Exception | None = None
        self._producer = KafkaProducer(
            **kafka_python_config(settings, broker),
            acks="all",
            linger_ms=20,
            batch_size=512 * 1024,
            max_request_size=4 * 1024 * 1024,
            client_id="socialitica-ingest",
        )

    def _on_error(self, error: Exception) -> None:
        self._failures += 1
        if self._first_error is None:
            self._first_error = error
            logger.error("Kafka did not acknowledge a message: %s", error)

    def send_items(self, items: Iterable[IngestItem], summary: IngestSummary, source: str) -> None:
        for item in items:
            if isinstance(item, Outgoing):
                self._send_event(item)
                summary.sent += 1
            elif isinstance(item, Skipped):
                summary.skipped += 1
            else:
                self._send_rejected(item, source)
                summary.rejected += 1
                if len(summary.first_rejected) < MAX_REJECTED_SHOWN:
                    summary.first_rejected.append(item)

    def _send_event(self, item: Outgoing) -> None:
        topic = self._topics[item.topic]
        if self._pack_size == 1:
            self._producer.send(topic, key=item.key, value=item.value).add_errback(self._on_error)
            return
        partition = partition_for(item.key.decode(), self._partition_count(topic))
        pack = self._packs.setdefault((topic, partition), [])
        if pack and self._pack_bytes.get((topic, partition), 0) + len(item.value) > MAX_PACK_BYTES:
            self._send_pack(topic, partition, pack)
        pack.append(item.value)
        self._pack_bytes[(topic, partition)] = self._pack_bytes.get((topic, partition), 0) + len(item.value) + 1
        if len(pack) >= self._pack_size:
            self._send_pack(topic, partition, pack)

    def _partition_count(self, topic: str) -> int:
        count = self._partition_counts.get(topic)
        if count is None:
            partitions = self._producer.partitions_for(topic)
            if not partitions:
                raise ProduceError(f"topic {topic} has no partitions or does not exist")
            count = self._partition_counts[topic] = len(partitions)
        return count

    def _send_pack(self, topic: str, partition: int, pack: list[bytes]) -> None:
        value = b"[" + b",".join(pack) + b"]"
        self._producer.send(topic, value=value, partition=partition).add_errback(self._on_error)
        pack.clear()
        self._pack_bytes[(topic, partition)] = 0

    def send_pending(self) -> None:
        """Send the partly filled packs; call at the end of each file to keep files in order."""
        for (topic, partition), pack in self._packs.items():
            if pack:
                self._send_pack(topic, partition, pack)

    def _send_rejected(self, item: Rejected, source: str) -> None:
        headers: list[tuple[str, bytes]] = [
            ("reason", item.reason.encode()),
            ("detail", item.detail.encode("utf-8", "replace")),
            ("source_file", source.encode("utf-8", "replace")),
            ("source_line", str(item.line).encode()),
        ]
        self._producer.send(self._settings.deadletter_topic, value=item.raw, headers=headers).add_errback(
            self._on_error
        )

    def close(self, timeout_s: float = 60.0) -> int:
        """Flush, close and return the number of messages Kafka did not acknowledge."""
        self.send_pending()
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise ProduceError(f"flushing to Kafka timed out after {timeout_s:.0f} s: {exc}") from exc
        finally:
            self._producer.close(timeout=timeout_s)
        return self._failures
