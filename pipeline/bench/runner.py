"""The benchmark's steps in order, from preloading the topics to timing warehouse queries.

Steps:
 1. Preload the event topics with packed messages, before any worker runs.
 2. Decode them all with a plain aiokafka consumer (the Python ceiling).
 3. Start a worker, measure its sustained rate over the preloaded events and count the changelog
    records they caused.
 4. Record its memory and state per user.
 5. Measure event-to-metric latency at half the measured rate.
 6. Stop it.
 7. Seed a second deployment's changelog with ``large_users`` users, one record each.
 8. Time its restore from the changelog alone, record memory and state per user, and time its
    restart from the local RocksDB state.
 9. Time a warehouse flush of ``large_users`` users and the reporting queries.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from agents.state import UserState
from pipeline.bench.changelog import changelog_records, seed_changelog
from pipeline.bench.environment import load_average, machine, source_revision, versions
from pipeline.bench.errors import BenchError, BenchTimeout
from pipeline.bench.footprint import disk_bytes, rss_bytes
from pipeline.bench.latency import measure_latency
from pipeline.bench.offsets import GroupOffsets
from pipeline.bench.producing import delete_topics, preload
from pipeline.bench.raw_consumer import consume_raw
from pipeline.bench.sizes import BenchSizes
from pipeline.bench.throughput import ThroughputResult, measure_throughput
from pipeline.bench.warehouse_steps import load_synthetic_directory, synthetic_states, time_flush, time_queries
from pipeline.bench.worker import WorkerProcess
from pipeline.bench.workload import SyntheticEvents, cert_emails, user_id
from pipeline.events import EventDecoder
from pipeline.settings import Settings
from pipeline.topics import ensure_topics

logger = logging.getLogger(__name__)

# Lower bounds used only to size timeouts: a step slower than this is reported as failed.
MIN_EVENTS_PER_SECOND = 500
MIN_RECORDS_RESTORED_PER_SECOND = 500
MIN_TIMEOUT_S = 120.0
# A restore that takes longer is reported at this limit, marked as timed out, and the run goes on.
MAX_RESTORE_S = 1800.0


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """Options of one run: the sizes, the workload, the broker and the folder for temporary files."""

    sizes: BenchSizes
    settings: Settings
    broker: str | None
    cert_file: Path | None
    cert_events: int | None
    work_dir: Path | None
    keep_files: bool
    mode: str


class BenchRun:
    """One benchmark run; ``run()`` returns the results document."""

    def __init__(self, options: BenchOptions) -> None:
        self.options = options
        self.sizes = options.sizes
        self.results: dict[str, Any] = {}
        self.details: dict[str, Any] = {"mode": options.mode}
        self._workers: list[WorkerProcess] = []

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.details["source"] = source_revision()
        self.details["load_average_at_start"] = load_average()
        root = Path(tempfile.mkdtemp(prefix="socialitica-bench-", dir=self.options.work_dir))
        logger.info("benchmark files in %s", root)
        try:
            with self._broker(root) as (bootstrap, kafka_version):
                name = f"bench-{uuid.uuid4().hex[:8]}"
                settings = self.options.settings.model_copy(
                    update={
                        "data_dir": root / "worker",
                        "broker": bootstrap,
                        "app_id": name,
                        "topic_prefix": name,
                        "topic_partitions": self.sizes.partitions,
                    }
                )
                try:
                    self._run_steps(settings, bootstrap, root)
                finally:
                    self._stop_workers()
                    if self.options.broker:
                        self._delete_topics(settings, bootstrap, name)
            self.details["versions"] = versions(kafka_version)
        finally:
            self._stop_workers()
            if self.options.keep_files:
                logger.info("benchmark files kept in %s", root)
            else:
                shutil.rmtree(root, ignore_errors=True)
        self.details["load_average_at_end"] = load_average()
        self.details["machine"] = machine()
        self.details["total_seconds"] = round(time.monotonic() - started, 1)
        return {**self.results, "details": self.details}

    @contextmanager
    def _broker(self, root: Path) -> Iterator[tuple[str, str]]:
        if self.options.broker:
            yield self.options.broker, "external broker"
            return
        from pipeline.broker import KAFKA_VERSION, LocalBroker

        broker = LocalBroker()
        info = broker.start(root / "broker", timeout_s=self.options.settings.local_broker_timeout_seconds)
        try:
            yield info.bootstrap, KAFKA_VERSION
        finally:
            broker.stop()

    def _run_steps(self, settings: Settings, bootstrap: str, root: Path) -> None:
        ensure_topics(settings, bootstrap)
        self._measure_event_path(settings, bootstrap)
        large = settings.model_copy(
            update={
                "data_dir": root / "large",
                "app_id": f"{settings.app_id}-large",
                "topic_prefix": f"{settings.topic_prefix}-large",
            }
        )
        states = self._measure_large_table(large, bootstrap)
        self._measure_warehouse(states, root / "flush")

    def _measure_event_path(self, settings: Settings, bootstrap: str) -> None:
        """Run steps 1 to 6 on the deployment of ``settings``."""
        sizes = self.sizes
        events = SyntheticEvents(seed=1, now=time.time())

        # 1. Preload, so that the worker's rate is the rate of consumption alone.
        logger.info("step 1: preloading %s", self.options.cert_file or f"{sizes.events} events of {sizes.users} users")
        if self.options.cert_file:
            decoder = EventDecoder(settings.source_zone, settings.future_tolerance_seconds)
            emails = islice(cert_emails(self.options.cert_file, decoder), self.options.cert_events)
            loaded = preload(settings, bootstrap, emails, sizes.pack_size)
        else:
            loaded = preload(settings, bootstrap, events.random_users(sizes.events, sizes.users), sizes.pack_size)
        self.details.update(
            workload=str(self.options.cert_file) if self.options.cert_file else "synthetic",
            events=loaded.events,
            users=sizes.users,
            large_users=sizes.large_users,
            partitions=sizes.partitions,
            pack_size=sizes.pack_size,
            preload_seconds=round(loaded.seconds, 2),
        )
        timeout_s = max(MIN_TIMEOUT_S, loaded.events / MIN_EVENTS_PER_SECOND)

        # 2. The Python ceiling on the same topics.
        logger.info("step 2: decoding %d events with a plain aiokafka consumer", loaded.events)
        raw = consume_raw(bootstrap, (settings.logins_topic, settings.interactions_topic), loaded.events, timeout_s)
        self.results["raw_consumer_events_per_second"] = round(raw.events_per_second)

        # 3. The worker over the same preloaded events.
        logger.info("step 3: measuring the worker's rate over %d preloaded events", loaded.events)
        worker = self._start_worker(settings, bootstrap)
        worker.wait_ready(sizes.partitions, timeout_s)
        throughput = self._measure_throughput(settings, bootstrap, worker, 0, loaded.events, timeout_s)
        self.results["events_per_second"] = round(throughput.committed_per_second)
        self.results["events_per_second_processed"] = round(throughput.processed_per_second)
        self.results["ratio"] = round(throughput.committed_per_second / raw.events_per_second, 4)
        self.details.update(
            throughput_processed_seconds=round(throughput.processed_seconds, 2),
            throughput_committed_seconds=round(throughput.committed_seconds, 2),
            worker_cpu_microseconds_per_event=round(throughput.cpu_seconds / throughput.events * 1e6, 1),
            worker_cpu_share=round(throughput.cpu_seconds / throughput.committed_seconds, 2),
        )
        # Every table write is one changelog record, so this shows how well writes are coalesced.
        records = changelog_records(settings, bootstrap)
        self.details.update(changelog_records=records, changelog_records_per_event=round(records / loaded.events, 3))

        # 4. Memory and state at the throughput step's user count.
        self.results["rss_bytes"] = {}
        self.results["state_bytes_per_user"] = {}
        known = self._record_footprint(worker, settings)

        # 5. Latency at half the measured rate.
        rate = max(1.0, throughput.committed_per_second / 2)
        logger.info("step 5: paced load of %.0f events/s for %.0f s", rate, sizes.latency_seconds)
        latency = measure_latency(
            settings, bootstrap, worker, events, sizes.users, rate, sizes.latency_seconds, sizes.pack_size
        )
        self.results["latency_p50_seconds"] = round(latency.p50, 4)
        self.results["latency_p99_seconds"] = round(latency.p99, 4)
        self.details.update(
            latency_rate_events_per_second=round(latency.rate),
            latency_samples=len(latency.latencies),
            event_lag_p50_bucket_seconds=latency.event_lag_p50_bucket,
            event_lag_p99_bucket_seconds=latency.event_lag_p99_bucket,
        )

        # 6. Stop the worker. A clean stop flushes RocksDB's memtables and drops its write-ahead logs.
        self._record_worker_flushes(worker)
        worker.stop()
        self.details["state_bytes_per_user_after_stop"] = round(disk_bytes(settings.state_dir) / known, 1)

    def _measure_large_table(self, large: Settings, bootstrap: str) -> list[UserState]:
        """Run steps 7 and 8 on a second deployment; return the seeded states for the warehouse step."""
        sizes = self.sizes

        # 7. A table of large_users users, seeded through its changelog.
        logger.info("step 7: seeding a changelog with %d users", sizes.large_users)
        ensure_topics(large, bootstrap)
        states = synthetic_states(sizes.large_users, time.time())
        records = ((user_id(number), state.to_bytes()) for number, state in enumerate(states))
        seeded = seed_changelog(large, bootstrap, records)
        self.details["seeded_changelog_records"] = seeded

        # 8. Restore from the changelog alone, then restart from the local RocksDB state.
        restore_timeout_s = min(MAX_RESTORE_S, max(MIN_TIMEOUT_S, seeded / MIN_RECORDS_RESTORED_PER_SECOND))
        worker = self._start_worker(large, bootstrap)
        self.results["changelog_restore_seconds"] = self._time_ready(worker, restore_timeout_s, "changelog_restore")
        self._record_footprint(worker, large)
        worker.stop()
        worker = self._start_worker(large, bootstrap)
        self.results["restart_seconds"] = self._time_ready(worker, restore_timeout_s, "restart")
        worker.stop()
        return states

    def _measure_warehouse(self, states: list[UserState], data_dir: Path) -> None:
        """Run step 9: one flush of every seeded user, then the reporting queries over it."""
        sizes = self.sizes
        logger.info("step 9: flushing %d users and timing queries", len(states))
        self.results["flush_seconds"] = round(time_flush(states, sizes.partitions, data_dir), 3)
        states.clear()
        self.details["directory_load_seconds"] = round(
            load_synthetic_directory(data_dir / "warehouse", sizes.large_users), 2
        )
        queries = time_queries(data_dir, dt.datetime.now(dt.UTC).date(), sizes.query_repeats)
        self.results["query_seconds"] = {name: round(seconds, 4) for name, seconds in queries.items()}

    def _delete_topics(self, settings: Settings, bootstrap: str, name: str) -> None:
        try:
            deleted = delete_topics(settings, bootstrap, (f"{name}.", f"{name}-"))
        except KafkaError as exc:
            logger.warning("could not delete the benchmark topics %s.* and %s-* from %s: %s", name, name, bootstrap, exc)
            return
        logger.info("deleted %d benchmark topics from %s", len(deleted), bootstrap)

    def _start_worker(self, settings: Settings, bootstrap: str) -> WorkerProcess:
        worker = WorkerProcess.start(settings, bootstrap)
        self._workers.append(worker)
        return worker

    def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    def _record_footprint(self, worker: WorkerProcess, settings: Settings) -> int:
        samples = worker.scrape()
        known = int(samples.value("socialitica_known_users") or 0)
        if known <= 0:
            raise BenchError(f"the worker reports no known users; see {worker.log_path}")
        self.results["rss_bytes"][str(known)] = rss_bytes(worker.pid)
        self.results["state_bytes_per_user"][str(known)] = round(disk_bytes(settings.state_dir) / known, 1)
        logger.info(
            "footprint at %d users: %.0f MiB resident, %.0f bytes of state per user",
            known,
            self.results["rss_bytes"][str(known)] / 2**20,
            self.results["state_bytes_per_user"][str(known)],
        )
        return known

    def _record_worker_flushes(self, worker: WorkerProcess) -> None:
        samples = worker.scrape()
        count = samples.value("socialitica_flush_duration_seconds_count") or 0.0
        total = samples.value("socialitica_flush_duration_seconds_sum") or 0.0
        self.details["worker_flushes"] = int(count)
        self.details["worker_flush_seconds_mean"] = round(total / count, 4) if count else None

    def _time_ready(self, worker: WorkerProcess, timeout_s: float, label: str) -> float:
        """Return the seconds from the worker's start until it is ready, or ``timeout_s`` marked as timed out."""
        logger.info("step 8: timing the %s of worker pid %d", label.replace("_", " "), worker.pid)
        try:
            seconds = worker.wait_ready(self.sizes.partitions, timeout_s)
        except BenchTimeout:
            logger.warning("%s did not finish within %.0f s; reporting the limit as a lower bound", label, timeout_s)
            self.details[f"{label}_timed_out"] = True
            return round(timeout_s, 2)
        self.details[f"known_users_after_{label}"] = int(worker.scrape().value("socialitica_known_users") or 0)
        return round(seconds, 2)

    def _measure_throughput(
        self, settings: Settings, bootstrap: str, worker: WorkerProcess, baseline: float, events: int, timeout_s: float
    ) -> ThroughputResult:
        topics = (settings.logins_topic, settings.interactions_topic)
        with GroupOffsets(settings, bootstrap, settings.app_id) as offsets:
            goal = offsets.end_offsets(topics)
            return measure_throughput(
                worker, offsets, goal, baseline, events, self.sizes.poll_interval_seconds, timeout_s
            )
