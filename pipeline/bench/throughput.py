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
    """Events between the first poll that saw progress and the end, and the worker's CPU time meanwhile.

    ``processed_seconds`` ends when the processed counter includes the last event;
    ``committed_seconds`` ends when the worker's group has committed the end of every partition, which
    in Faust also means that the table's changelog records up to there were acknowledged.
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

    The window starts at the first poll that sees progress, so worker start-up and table recovery
    are left out, and each end errs late by at most one poll interval. The committed end also errs
    late by up to one commit interval of the worker (Faust's default is 2.8 s). When every event was
    processed between two polls, the window starts at the last poll before any progress instead.
    """
    deadline = time.monotonic() + timeout_s
    target = baseline + expected_events
    idle_at, idle_cpu = time.perf_counter(), cpu_seconds(worker.pid)
    first: tuple[float, float, float] | None = None

    # 1. Until the processed counter includes every event.
    while True:
        worker.check_running()
        try:
            processed = counter_total(fetch(worker.metrics_url), PROCESSED)
        except OSError:
            processed = baseline
        now = time.perf_counter()
        if processed >= target:
            processed_at = now
            break
        if processed <= baseline:
            idle_at, idle_cpu = now, cpu_seconds(worker.pid)
        elif first is None:
            first = (now, processed, cpu_seconds(worker.pid))
        _check_deadline(deadline, worker, f"processed {processed - baseline:.0f} of {expected_events} events")
        time.sleep(interval_s)

    # 2. Until the group's commits cover the end of every partition.
    while not offsets.covers(goal):
        worker.check_running()
        _check_deadline(deadline, worker, "processed every event but did not commit their offsets")
        time.sleep(interval_s)
    committed_at = time.perf_counter()
    cpu_end = cpu_seconds(worker.pid)

    started, counted, cpu_start = first if first is not None else (idle_at, baseline, idle_cpu)
    return ThroughputResult(
        events=int(processed - counted),
        processed_seconds=processed_at - started,
        committed_seconds=committed_at - started,
        cpu_seconds=cpu_end - cpu_start,
    )


def _check_deadline(deadline: float, worker: WorkerProcess, progress: str) -> None:
    if time.monotonic() > deadline:
        raise BenchError(f"timed out: the worker {progress}; see {worker.log_path}")
