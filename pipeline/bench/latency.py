"""Event-to-metric latency under a steady, paced load.

Method: every ``tick`` the producer sends the events due at the target rate, each with event
time = now, and records the send time and the cumulative number of events sent. A poller thread
reads the worker's ``socialitica_events_processed_total`` every ``poll`` seconds. A tick's latency
is the time from its send to the first poll whose count includes all events sent up to and
including that tick. The figure covers the producer's linger, the broker, the worker's fetch and
processing, and the metric's exposure, and errs high by at most one poll interval.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass

from pipeline.bench.errors import BenchError
from pipeline.bench.scrape import Samples, counter_total, fetch
from pipeline.bench.throughput import PROCESSED
from pipeline.bench.worker import WorkerProcess
from pipeline.bench.workload import SyntheticEvents
from pipeline.ingest.producer import EventProducer, IngestSummary
from pipeline.settings import Settings

EVENT_LAG = "socialitica_event_lag_seconds"
TICK_SECONDS = 0.05
# Each scrape of /metrics costs a worker about 6 ms of CPU, so a finer poll would slow what it measures.
POLL_SECONDS = 0.1
WARM_UP_SECONDS = 1.0
DRAIN_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """Per-tick latencies of one paced run, and the worker's own event-lag histogram over the same run."""

    rate: float
    latencies: list[float]
    event_lag_p50_bucket: float | None
    event_lag_p99_bucket: float | None

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    if not values:
        raise BenchError("no latency samples: the paced run was shorter than its warm-up")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class _Poller(threading.Thread):
    """Reads the processed counter every ``interval_s`` and keeps (time, count) pairs."""

    def __init__(self, url: str, interval_s: float) -> None:
        super().__init__(name="bench-latency-poller", daemon=True)
        self._url = url
        self._interval_s = interval_s
        self._stop_event = threading.Event()
        self.times: list[float] = []
        self.counts: list[float] = []

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                count = counter_total(fetch(self._url), PROCESSED)
            except OSError:
                count = None
            if count is not None:
                self.times.append(time.perf_counter())
                self.counts.append(count)
            self._stop_event.wait(self._interval_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def measure_latency(
    settings: Settings,
    bootstrap: str,
    worker: WorkerProcess,
    events: SyntheticEvents,
    users: int,
    rate: float,
    duration_s: float,
    pack_size: int,
) -> LatencyResult:
    """Produce ``rate`` events per second of random existing users for ``duration_s`` seconds and time them."""
    lag_before = worker.scrape().buckets(EVENT_LAG)
    baseline = counter_total(fetch(worker.metrics_url), PROCESSED)
    poller = _Poller(worker.metrics_url, POLL_SECONDS)
    poller.start()
    try:
        sends, goal = _produce_paced(settings, bootstrap, events, users, rate, duration_s, pack_size, baseline)
        _wait_for_count(worker, poller, goal)
    finally:
        poller.stop()
    lag_after = worker.scrape().buckets(EVENT_LAG)

    latencies = []
    first_counted = sends[0][0] + WARM_UP_SECONDS
    for sent_at, cumulative in sends:
        if sent_at < first_counted:
            continue
        seen = bisect_left(poller.counts, cumulative)
        latencies.append(max(0.0, poller.times[seen] - sent_at))
    p50_bucket, p99_bucket = _histogram_quantiles(lag_before, lag_after, (0.50, 0.99))
    return LatencyResult(rate, latencies, p50_bucket, p99_bucket)


def _produce_paced(
    settings: Settings,
    bootstrap: str,
    events: SyntheticEvents,
    users: int,
    rate: float,
    duration_s: float,
    pack_size: int,
    baseline: float,
) -> tuple[list[tuple[float, float]], float]:
    producer = EventProducer(settings, bootstrap, pack_size)
    summary = IngestSummary()
    sends: list[tuple[float, float]] = []
    sent = 0
    try:
        started = time.perf_counter()
        ticks = max(1, round(duration_s / TICK_SECONDS))
        for tick in range(1, ticks + 1):
            time.sleep(max(0.0, started + tick * TICK_SECONDS - time.perf_counter()))
            due = round(rate * tick * TICK_SECONDS) - sent
            now = time.time()
            batch = events.live(due, users, now)
            sent_at = time.perf_counter()
            producer.send_items(batch, summary, "benchmark")
            producer.send_pending()
            sent += due
            sends.append((sent_at, baseline + sent))
    finally:
        failed = producer.close()
    if failed:
        raise BenchError(f"{failed} paced messages were not acknowledged by {bootstrap}")
    return sends, baseline + sent


def _wait_for_count(worker: WorkerProcess, poller: _Poller, goal: float) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while not poller.counts or poller.counts[-1] < goal:
        worker.check_running()
        if time.monotonic() > deadline:
            seen = poller.counts[-1] if poller.counts else 0
            raise BenchError(
                f"the worker counted {seen:.0f} of {goal:.0f} events {DRAIN_TIMEOUT_S:.0f} s after the paced "
                f"load ended; see {worker.log_path}"
            )
        time.sleep(POLL_SECONDS)


def _histogram_quantiles(
    before: list[tuple[float, float]], after: list[tuple[float, float]], fractions: tuple[float, ...]
) -> list[float | None]:
    """Return, per fraction, the upper bound of the bucket that contains that quantile of the new observations.

    None means the quantile lies in the +Inf bucket.
    """
    previous = dict(before)
    added = [(bound, count - previous.get(bound, 0.0)) for bound, count in after]
    total = added[-1][1] if added else 0.0
    bounds: list[float | None] = []
    for fraction in fractions:
        bound = next((upper for upper, count in added if total and count >= fraction * total), None)
        bounds.append(None if bound is None or math.isinf(bound) else bound)
    return bounds
