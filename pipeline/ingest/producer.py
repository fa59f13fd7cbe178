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
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

MAX_REJECTED_SHOWN = 10


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
    """A kafka-python producer that sends with acks=all and reports delivery failures."""

    def __init__(self, settings: Settings, broker: str) -> None:
        self._settings = settings
        self._topics = {"logins": settings.logins_topic, "interactions": settings.interactions_topic}
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
                self._producer.send(self._topics[item.topic], key=item.key, value=item.value).add_errback(
                    self._on_error
                )
                summary.sent += 1
            elif isinstance(item, Skipped):
                summary.skipped += 1
            else:
                self._send_rejected(item, source)
                summary.rejected += 1
                if len(summary.first_rejected) < MAX_REJECTED_SHOWN:
                    summary.first_rejected.append(item)

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
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise ProduceError(f"flushing to Kafka timed out after {timeout_s:.0f} s: {exc}") from exc
        finally:
            self._producer.close(timeout=timeout_s)
        return self._failures
