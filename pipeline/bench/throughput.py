"""Sustained events per second of one worker over a preloaded topic, from its processed counter."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline.bench.errors import BenchError
from pipeline.bench.scrape import counter_total, fetch
from pipeline.bench.worker import WorkerProcess

PROCESSED = "socialitica_events_processed_total"


@dataclass(frozen=True, slots=True)
class ThroughputResult:
    """Events counted between two polls of the processed counter, and the seconds between them."""

    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def measure_throughput(
    worker: WorkerProcess, baseline: float, expected_events: int, interval_s: float, timeout_s: float
) -> ThroughputResult:
    """Poll the worker's processed counter until it has counted ``expected_events`` above ``baseline``.

    The window starts at the first poll that sees progress and ends at the first poll that sees the
    last event, so worker start-up and table recovery are left out, and the result errs low by at most
    one interval. When every event was processed between two polls, the window starts at the last
    poll before any progress instead.
    """
    goal = baseline + expected_events
    deadline = time.monotonic() + timeout_s
    idle_at = time.perf_counter()
    first: tuple[float, float] | None = None
    while True:
        worker.check_running()
        try:
            processed = counter_total(fetch(worker.metrics_url), PROCESSED)
        except OSError:
            processed = baseline
        now = time.perf_counter()
        if processed >= goal:
            break
        if processed <= baseline:
            idle_at = now
        elif first is None:
            first = (now, processed)
        if time.monotonic() > deadline:
            raise BenchError(
                f"the worker processed {processed - baseline:.0f} of {expected_events} events within "
                f"{timeout_s:.0f} s; see {worker.log_path}"
            )
        time.sleep(interval_s)

    if first is None:
        return ThroughputResult(int(processed - baseline), now - idle_at)
    started, counted = first
    return ThroughputResult(int(processed - counted), now - started)
