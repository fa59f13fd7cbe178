"""The Faust application: topics, the user table, the activity agents and the flush timer."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import NoReturn

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import TP, EventT
from prometheus_client import CollectorRegistry

from agents.raw import define_raw_agents
from agents.processor import INTERACTIONS, LOGINS, ActivityProcessor, DayCalendar, Message
from agents.restore import restore_changelog
from agents.table_writer import TableWriter
from agents.windows import ActivityIndex
from pipeline.events import EventDecoder, Rejection
from pipeline.kafka import aiokafka_config, faust_broker_url, faust_credentials
from pipeline.settings import Settings
from sinks.group_gauges import GroupGaugeCollector, compute_group_gauges
from sinks.prometheus import ActivityCollector, PipelineMetrics
from sinks.warehouse import Warehouse

logger = logging.getLogger(__name__)

USERS_TABLE = "users"
PROFILES_TABLE = "profiles"

# A batch is processed in chunks of about this many bytes of message values (a few thousand
# events), so the event loop serves /metrics, timers and the producer between chunks.
CHUNK_BYTES = 512 * 1024
# Memtables of 16 MiB, at most two per partition, instead of Faust's three of 64 MiB. A user is
# rewritten on most batches, so with large memtables the write-ahead logs took most of the
# state's disk space while the worker ran (about 2 KB per user at 100,000 users in the benchmark).
USERS_ROCKSDB_OPTIONS = {"write_buffer_size": 16 * 1024 * 1024, "max_write_buffer_number": 2}
# Exit status of a worker that stopped because a batch failed (EX_SOFTWARE in sysexits.h).
FAILED_BATCH_EXIT_CODE = 70
# The largest Kafka record batch the producer builds; TableWriter packs a chunk's changelog
# records into batches of this size. It stays under the broker's default message.max.bytes.
PRODUCER_MAX_BATCH_BYTES = 512 * 1024


def _chunks(events: Sequence[EventT], max_bytes: int) -> Iterable[Sequence[EventT]]:
    """Split a batch into runs of messages whose values add up to about ``max_bytes``."""
    start, size = 0, 0
    for position, event in enumerate(events):
        size += len(event.message.value or b"")
        if size >= max_bytes:
            yield events[start : position + 1]
            start, size = position + 1, 0
    if start < len(events):
        yield events[start:]


def _stop_without_acknowledging(topic_index: int, events: Sequence[EventT], exc: Exception) -> NoReturn:
    """Exit the process at once, so no offset of an unprocessed event is committed.

    Faust would log an agent's exception, acknowledge the whole batch and restart the agent,
    losing the events whose table writes failed. After this exit, the next start resumes from
    the last committed offset and skips the events the table has already applied.
    """
    first = events[0].message if events else None
    logger.critical(
        "processing a batch of %d messages of topic index %d (first %s[%s]@%s) failed; "
        "exiting without acknowledging it, so a restart processes it again: %r",
        len(events),
        topic_index,
        first.topic if first else None,
        first.partition if first else None,
        first.offset if first else None,
        exc,
        exc_info=exc,
    )
    logging.shutdown()
    os._exit(FAILED_BATCH_EXIT_CODE)


class ActivityWorker:
    """One Faust app with its agents, table, metrics and warehouse sink.

    Guarantees: every accepted event is folded into the user table, which is written once per
    user per chunk of a batch (see ``CHUNK_BYTES``) and records the offsets applied. Redelivered
    events are therefore no-ops, so a restart recovers the table without loss or double counting.
    The warehouse is flushed every ``flush_interval_seconds``, before a partition is revoked and
    at shutdown.
    After a hard kill, the next owner of a partition flushes the users changed since its last flush.
    """

    def __init__(self, settings: Settings, broker: str, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.broker = broker
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = PipelineMetrics(self.registry)
        self.index = ActivityIndex()
        self.warehouse = Warehouse(settings.data_dir, settings.reporting_timezone)
        self.processor = ActivityProcessor(
            EventDecoder(settings.source_zone, settings.future_tolerance_seconds),
            DayCalendar(settings.reporting_zone),
            self.metrics,
            self.index,
            (settings.logins_topic, settings.interactions_topic),
            replay_clock=settings.clock == "replay",
            partitions=settings.topic_partitions,
            cache_users=settings.state_cache_users,
        )
        self._flush_lock = asyncio.Lock()
        self.app = self._create_app(broker)
        self._define_streams()
        setup_prometheus_sensors(self.app, pattern="/metrics", registry=self.registry, name_prefix="faust")
        self.registry.register(ActivityCollector(self.index, self.processor.clock, self.consumer_lag))

    # 1. The app, its topics and its table.
    def _create_app(self, broker: str) -> faust.App:
        settings = self.settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        return faust.App(
            settings.app_id,
            broker=faust_broker_url(broker),
            broker_credentials=faust_credentials(settings),
            store="rocksdb://" if settings.store == "rocksdb" else "memory://",
            datadir=str(settings.state_dir.resolve()),
            web_host=settings.web_host,
            web_bind=settings.web_host,
            web_port=settings.web_port,
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication_factor,
            key_serializer="raw",
            value_serializer="raw",
            consumer_auto_offset_reset="earliest",
            table_standby_replicas=0,
            producer_max_batch_size=PRODUCER_MAX_BATCH_BYTES,
            autodiscover=False,
        )

    def _define_streams(self) -> None:
        settings, app = self.settings, self.app
        self.logins_topic = app.topic(settings.logins_topic, key_type=bytes, value_type=bytes)
        self.interactions_topic = app.topic(settings.interactions_topic, key_type=bytes, value_type=bytes)
        self.deadletter_topic = app.topic(settings.deadletter_topic, key_type=bytes, value_type=bytes)
        self.table = app.Table(
            USERS_TABLE,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            options=dict(USERS_ROCKSDB_OPTIONS) if settings.store == "rocksdb" else None,
        )
        self.users = TableWriter(app, self.table, in_memory=settings.store == "memory")
        self.table.on_recover(self._on_table_recovered)
        app.on_partitions_revoked.connect(self._on_partitions_revoked)
        app.on_before_shutdown.connect(self._on_before_shutdown)

        # 2. The agents: one per source topic, both writing the same co-partitioned table. Each
        # takes messages in batches so a user's table entry is written once per batch.
        async def process_logins(stream: faust.StreamT) -> None:
            async for events in stream.take_events(settings.batch_max_messages, settings.batch_max_seconds):
                await self._handle(LOGINS, events)

        async def process_interactions(stream: faust.StreamT) -> None:
            async for events in stream.take_events(settings.batch_max_messages, settings.batch_max_seconds):
                await self._handle(INTERACTIONS, events)

        app.agent(self.logins_topic, name="logins")(process_logins)
        app.agent(self.interactions_topic, name="interactions")(process_interactions)
        self._define_directory()
        self.raw_topics = define_raw_agents(
            app,
            settings,
            self.registry,
            {"logins": self.logins_topic, "interactions": self.interactions_topic},
            self._send_to_deadletter,
            self.metrics.rejected,
        )
        async def flush_periodically() -> None:
            await self.flush()

        app.timer(settings.flush_interval_seconds, on_leader=False, name="flush")(flush_periodically)

    def _define_directory(self) -> None:
        """Keep the profiles of owned users in a table, and the group gauges fresh on the leader."""
        settings, app = self.settings, self.app
        self.directory_topic = app.topic(settings.directory_topic, key_type=bytes, value_type=bytes)
        self.profiles = app.Table(
            PROFILES_TABLE, key_type=bytes, value_type=bytes, partitions=settings.topic_partitions
        )
        self.group_gauges = GroupGaugeCollector(lambda: self.app.is_leader())
        self.registry.register(self.group_gauges)

        async def store_profiles(stream: faust.StreamT) -> None:
            async for event in stream.events():
                message = event.message
                if message.key is None or not message.value:
                    continue  # a tombstone or an unkeyed record carries no profile
                self.profiles[message.key] = message.value
                self.metrics.profile_updates.inc()

        async def refresh_group_gauges() -> None:
            await self.refresh_group_gauges()

        app.agent(self.directory_topic, name="directory")(store_profiles)
        if settings.group_dimension_names:
            app.timer(settings.group_gauge_interval_seconds, on_leader=True, name="group-gauges")(
                refresh_group_gauges
            )

    async def refresh_group_gauges(self) -> None:
        """Recompute the per-group gauges from the warehouse in a thread; failures keep the old values."""
        settings = self.settings
        reading = self.processor.clock()
        if reading.today is None:
            return
        try:
            gauges = await asyncio.to_thread(
                compute_group_gauges,
                settings.data_dir,
                settings.reporting_timezone,
                settings.group_dimension_names,
                date.fromordinal(reading.today),
                settings.group_min_size,
                settings.group_max_labels,
            )
        except Exception:  # the warehouse may lack a directory yet; gauges are retried next interval
            logger.warning("group gauges not updated", exc_info=True)
            return
        self.group_gauges.update(gauges)
        logger.debug("group gauges updated: %d series pairs", len(gauges))

    async def _handle(self, topic_index: int, events: Sequence[EventT]) -> None:
        try:
            for chunk in _chunks(events, CHUNK_BYTES):
                await self._handle_chunk(topic_index, chunk)
        except Exception as exc:
            _stop_without_acknowledging(topic_index, events, exc)

    async def _handle_chunk(self, topic_index: int, chunk: Sequence[EventT]) -> None:
        messages = [
            Message(event.message.key, event.message.value, event.message.partition, event.message.offset)
            for event in chunk
        ]
        result = self.processor.process_batch(topic_index, messages, self.users.read)
        # Queue the writes before the first await, so the other agent's writes of the same users
        # land before or after these, never in between.
        for partition, writes in result.writes.items():
            self.users.stage(partition, writes)
        for event, outcome in zip(chunk, result.outcomes, strict=True):
            for rejected in outcome.rejected:
                await self._send_to_deadletter(event, rejected.rejection, rejected.raw)
        await self.users.write_staged(result.writes)
        await asyncio.sleep(0)  # let /metrics and the timers run between chunks

    async def _send_to_deadletter(self, event: EventT, rejection: Rejection, raw: bytes) -> None:
        message = event.message
        headers = [
            ("reason", rejection.reason.value.encode()),
            ("detail", rejection.detail.encode("utf-8", "replace")),
            ("source_topic", message.topic.encode()),
            ("source_partition", str(message.partition).encode()),
            ("source_offset", str(message.offset).encode()),
        ]
        await self.deadletter_topic.send(key=message.key, value=raw, headers=headers)
        logger.debug(
            "rejected %s[%d]@%d: %s (%s)",
            message.topic,
            message.partition,
            message.offset,
            rejection.reason.value,
            rejection.detail,
        )

    def restore_local_state(self) -> None:
        """Before the app starts, bring the local RocksDB store up to the end of the changelog in bulk."""
        if self.settings.store != "rocksdb":
            return  # the memory store starts empty and Faust's recovery fills it
        restore_changelog(
            self.table.data,
            self.users.changelog_topic,
            self.settings.topic_partitions,
            aiokafka_config(self.settings, self.broker),
            self.settings.restore_timeout_seconds,
        )

    # 3. Partition ownership: rebuild after recovery, drop at revocation.
    async def _on_table_recovered(self) -> None:
        try:
            self._rebuild_owned_partitions()
        except Exception as exc:
            # Faust drops exceptions raised in recovery callbacks; exporting wrong counts is
            # worse than stopping, so crash the app loudly.
            logger.exception("rebuilding the activity index after recovery failed")
            await self.app.crash(exc)

    def _rebuild_owned_partitions(self) -> None:
        actives = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.settings.logins_topic}
        owned = self.processor.owned_partitions
        for partition in sorted(owned - actives):
            self.processor.revoke_partition(partition)
        for partition in sorted(actives - owned):
            started = time.monotonic()
            users = self.processor.assign_partition(
                partition, self._stored_items(partition), self.warehouse.flushed_positions(partition)
            )
            logger.info(
                "partition %d assigned: %d users indexed in %.2f s",
                partition,
                users,
                time.monotonic() - started,
            )

    def _stored_items(self, partition: int) -> Iterable[tuple[bytes, bytes]]:
        store = self.table.data
        if self.settings.store == "rocksdb":
            # Faust keeps its own offset record in each partition's database; this skips it.
            return store._visible_items(store._db_for_partition(partition))  # type: ignore[attr-defined]
        key_partition: Mapping[bytes, int] = store._key_partition  # type: ignore[attr-defined]
        return [(key, value) for key, value in store.data.items() if key_partition.get(key) == partition]  # type: ignore[attr-defined]

    async def _on_partitions_revoked(self, sender: faust.App, revoked: set[TP], **_: object) -> None:
        partitions = {tp.partition for tp in revoked if tp.topic == self.settings.logins_topic}
        partitions &= self.processor.owned_partitions
        if not partitions:
            return
        await self.flush(partitions)
        for partition in sorted(partitions):
            self.processor.revoke_partition(partition)
            logger.info("partition %d revoked", partition)

    async def _on_before_shutdown(self, sender: faust.App, **_: object) -> None:
        await self.flush()
        logger.info("final warehouse flush done")

    # 4. Flushing to the warehouse, in a thread so the event loop keeps consuming.
    async def flush(self, partitions: Iterable[int] | None = None) -> None:
        async with self._flush_lock:
            batches = self.processor.take_flush_batches(partitions)
            if batches:
                # The table changes behind these rows must be durable in the changelog first, so
                # the warehouse is never ahead of the state a restarted worker recovers.
                await self.users.drain()
                await self.app.producer.flush()
            for batch in batches:
                started = time.monotonic()
                try:
                    written = await asyncio.to_thread(self.warehouse.write, batch)
                except Exception as exc:  # any failure is retried; the worker must keep consuming
                    self.processor.flush_failed(batch)
                    self.metrics.flush_failures.inc()
                    logger.error(
                        "flush of partition %d failed, will retry at the next interval: %s", batch.partition, exc
                    )
                    continue
                self.processor.flush_succeeded(batch)
                self.metrics.flush_duration.observe(time.monotonic() - started)
                self.metrics.last_flush_success.set_to_current_time()
                for table, rows in written.items():
                    self.metrics.flushed_rows.labels(table).inc(rows)
                logger.debug("partition %d flushed: %s", batch.partition, written)

    def consumer_lag(self) -> dict[str, int]:
        lag: dict[str, int] = {}
        consumer = getattr(self.app, "_consumer", None)
        if consumer is None:
            return lag
        for topic_index, topic in ((LOGINS, self.settings.logins_topic), (INTERACTIONS, self.settings.interactions_topic)):
            total = 0
            for partition in self.processor.owned_partitions:
                try:
                    highwater = consumer.highwater(TP(topic, partition))
                except Exception:  # the consumer may not have fetched this partition yet
                    continue
                if highwater is None:
                    continue
                total += max(0, highwater - self.processor.processed_offset(partition, topic_index) - 1)
            lag[topic] = total
        return lag
