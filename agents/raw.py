"""Agents that map raw audit-log topics (one per source format) to canonical events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import faust
import orjson
from faust.types import EventT
from prometheus_client import CollectorRegistry, Counter

from pipeline.adapters import AliasMap, Ignored, Mapped, adapt_bytes, get_adapter
from pipeline.events import RejectReason, Rejection
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

SendToDeadletter = Callable[[EventT, Rejection, bytes], Awaitable[None]]


class RawRecordMetrics:
    """Counts of raw audit records by format and result."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "socialitica_raw_records",
            "Raw audit-log records read, by format and result (mapped, ignored, rejected).",
            ["format", "result"],
            registry=registry,
        )


def define_raw_agents(
    app: faust.App,
    settings: Settings,
    registry: CollectorRegistry,
    event_topics: dict[str, faust.TopicT],
    send_to_deadletter: SendToDeadletter,
    rejected_counter: Counter,
) -> list[str]:
    """Add one agent per configured format; return the raw topic names it consumes.

    Each mapped event is produced to its canonical topic keyed by user id, so it reaches the
    activity agents exactly like an event a producer wrote there directly. A rejected record is
    counted both per format and in ``rejected_counter`` by reason, like a rejected event.
    """
    metrics = RawRecordMetrics(registry)
    aliases = AliasMap.from_file(settings.aliases_file) if settings.aliases_file else None
    topics = []
    for format_name in settings.raw_format_names:
        adapter = get_adapter(format_name)
        topic_name = settings.raw_topic(format_name)
        topic = app.topic(topic_name, key_type=bytes, value_type=bytes)
        topics.append(topic_name)

        async def map_records(stream: faust.StreamT, adapter=adapter, format_name=format_name) -> None:  # type: ignore[no-untyped-def]
            async for event in stream.events():
                result = adapt_bytes(adapter, event.message.value or b"", aliases)
                if isinstance(result, Mapped):
                    for canonical in result.events:
                        await event_topics[canonical.topic].send(
                            key=canonical.user_id.encode(), value=orjson.dumps(canonical.to_dict())
                        )
                    metrics.records.labels(format_name, "mapped").inc()
                elif isinstance(result, Ignored):
                    metrics.records.labels(format_name, "ignored").inc()
                else:
                    metrics.records.labels(format_name, "rejected").inc()
                    rejection = Rejection(RejectReason(result.reason.value), result.detail)
                    rejected_counter.labels(rejection.reason.value).inc()
                    await send_to_deadletter(event, rejection, event.message.value or b"")

        app.agent(topic, name=f"raw-{format_name}")(map_records)
    if topics:
        logger.info("mapping raw audit-log topics: %s", ", ".join(topics))
    return topics
