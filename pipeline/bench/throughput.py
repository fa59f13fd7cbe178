"""Sustained events per second of one worker over preloaded topics: processed, and committed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import TopicPartition

from pipeline.bench.errors import BenchError
from pipeline.bench.footprint import cpu_seconds
from pipeline.bench.offsets import GroupOffsets
from pipeline.bench.scrape import counter_total, fetch
from pipeline.bench.worker import WorkerProcess

PROCESSED = "socialitica_events_processed_total"


@dataclass(frozen=True, slots=True)
class ThroughputResult:
    """Events processed in the measured window, its length to each end, and the worker's CPU time in it.

    ``processed_seconds`` ends when the processed counter includes the last event.
    ``committed_seconds`` ends when the worker's group has committed the end of every partition.
    Faust 0.15 flushes its producer before each commit, so by then the broker has also acknowledged
    the table's changelog records for those events.
    """

    events: int
    processed_seconds: float
    committed_seconds: float
    cpu_seconds: float

    @property
    def processed_per_second(self) -> float:
        return self.events / self.processed_seconds if self.processed_seconds > 0 else 0.0

    @property
    def committed_per_second(self) -> float:
        return self.events / self.committed_seconds if self.committed_seconds > 0 else 0.0


def measure_throughput(
    worker: WorkerProcess,
    offsets: GroupOffsets,
    goal: dict[TopicPartition, int],
    baseline: float,
    expected_events: int,
    interval_s: float,
    timeout_s: float,
) -> ThroughputResult:
    """Poll the worker until it has processed ``expected_events`` above ``baseline`` and committed ``goal``.

    The window starts at the last poll that saw no progress, so worker start-up and table recovery
    are left out. Each end errs late by at most one poll interval, which makes the rate err low.
    Only a poll that returned a count with no progress moves the start. The worker serves /metrics
    from the event loop that processes events, so a poll can stall or time out until a whole batch
    is done. The committed end also errs late by up to one commit interval of the worker
    (Faust's default is 2.8 s).
    """
    deadline = time.monotonic() + timeout_s
    target = baseline + expected_events
    started, cpu_start = time.perf_counter(), cpu_seconds(worker.pid)

    # 1. Until the processed counter includes every event.
    while True:
        worker.check_running()
        try:
            processed: float | None = counter_total(fetch(worker.metrics_url), PROCESSED)
        except OSError:
            processed = None  # a scrape that timed out behind a long batch carries no count
        now = time.perf_counter()
        if processed is not None and processed >= target:
            processed_at = now
            break
        if processed is not None and processed <= baseline:
            started, cpu_start = now, cpu_seconds(worker.pid)
        _check_deadline(deadline, worker, f"processed fewer than {expected_events} events")
        time.sleep(interval_s)

    # 2. Until the group's commits cover the end of every partition.
    while not offsets.covers(goal):
        worker.check_running()
        _check_deadline(deadline, worker, "processed every event but did not commit their offsets")
        time.sleep(interval_s)
    committed_at = time.perf_counter()

    return ThroughputResult(
        events=int(processed - baseline),
        processed_seconds=processed_at - started,
        committed_seconds=committed_at - started,
        cpu_seconds=cpu_seconds(worker.pid) - cpu_start,
    )


def _check_deadline(deadline: float, worker: WorkerProcess, progress: str) -> None:
    if time.monotonic() > deadline:
        raise BenchError(f"timed out: the worker {progress}; see {worker.log_path}")
