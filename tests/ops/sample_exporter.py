"""A stand-in worker /metrics endpoint on 127.0.0.1 that serves the metric names of the internal contract.

It exists to test the Prometheus harness, the rules and the dashboards without Kafka. The
values are made up; a background thread moves the counters and histograms every tick so
that rate() and histogram_quantile() have something to compute.
"""

from __future__ import annotations

import threading
import time

from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

WINDOWS = {"1d": 40, "7d": 90, "30d": 130, "365d": 150}
KNOWN_USERS = 200
GROUPS = {
    ("department", "sales"): (60, 25),
    ("department", "engineering"): (80, 50),
    ("department", "other"): (60, 15),
    ("location", "madrid"): (120, 60),
    ("location", "lisbon"): (80, 30),
}
INTERACTIONS = (("post", "blogs"), ("comment", "forums"), ("like", "activities"), ("upload", "files"))
TOPICS = ("socialitica.logins", "socialitica.interactions")
REJECT_REASONS = ("invalid_json", "invalid_timestamp", "unknown_kind")
FAUST_PREFIX = "faust"


def faust_sample_names(prefix: str = FAUST_PREFIX) -> frozenset[str]:
    """Names of every sample that Faust's Prometheus sensor exposes with this prefix."""
    registry = CollectorRegistry()
    FaustMetrics.create(registry, prefix)
    return frozenset(sample.name for family in registry.collect() for sample in family.samples) | frozenset(
        family.name for family in registry.collect()
    )


def own_metric_problems(problems: list[str]) -> list[str]:
    """Drop the lint lines about Faust's sensor metrics, which the project does not name.

    Faust's sensor exports `<app id>_events_runtime_ms`, which promtool flags for its
    abbreviated unit; that name comes from faust-streaming, not from this project.
    """
    faust_names = faust_sample_names()
    return [line for line in problems if line.split()[0] not in faust_names]


class SampleExporter:
    """Serve made-up worker metrics on 127.0.0.1:`port` until `stop()`."""

    def __init__(self, port: int, tick_seconds: float = 0.2) -> None:
        self.port = port
        self.tick_seconds = tick_seconds
        self.registry = CollectorRegistry()
        self._stop = threading.Event()
        self._register()
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _register(self) -> None:
        registry = self.registry
        active = Gauge("socialitica_active_users", "Users active in the window.", ["window"], registry=registry)
        login_active = Gauge(
            "socialitica_login_active_users", "Users with a successful login in the window.", ["window"],
            registry=registry,
        )  # fmt: skip
        for window, users in WINDOWS.items():
            active.labels(window).set(users)
            login_active.labels(window).set(users - 5)
        Gauge("socialitica_known_users", "Users with an accepted event.", registry=registry).set(KNOWN_USERS)

        population = Gauge(
            "socialitica_population_users", "Directory users per group.", ["window", "dimension", "group"],
            registry=registry,
        )  # fmt: skip
        group_active = Gauge(
            "socialitica_group_active_users", "Active users per group.", ["window", "dimension", "group"],
            registry=registry,
        )  # fmt: skip
        for window in WINDOWS:
            for (dimension, group), (people, users) in GROUPS.items():
                population.labels(window, dimension, group).set(people)
                group_active.labels(window, dimension, group).set(users)

        self.logins = Counter("socialitica_logins", "Login events.", ["outcome"], registry=registry)
        self.interactions = Counter(
            "socialitica_interactions", "Interaction events.", ["kind", "app"], registry=registry
        )
        self.processed = Counter("socialitica_events_processed", "Events read.", ["topic"], registry=registry)
        self.rejected = Counter("socialitica_events_rejected", "Events rejected.", ["reason"], registry=registry)
        self.event_lag = Histogram(
            "socialitica_event_lag_seconds", "Event lag.", buckets=(0.1, 1, 5, 60), registry=registry
        )
        self.flush_duration = Histogram(
            "socialitica_flush_duration_seconds", "Flush time.", buckets=(0.01, 0.1, 1), registry=registry
        )
        self.flush_failures = Counter("socialitica_flush_failures", "Failed flushes.", registry=registry)
        self.last_flush = Gauge(
            "socialitica_last_flush_success_timestamp_seconds", "Last successful flush.", registry=registry
        )
        self.newest_event = Gauge(
            "socialitica_newest_event_timestamp_seconds", "Newest event time.", registry=registry
        )
        lag = Gauge("socialitica_consumer_lag_messages", "Consumer lag.", ["topic"], registry=registry)
        for topic in TOPICS:
            lag.labels(topic).set(3)
        Gauge("socialitica_owned_partitions", "Owned partitions.", registry=registry).set(4)

        # Faust's own sensor metrics, created by Faust's code so the names are the real ones.
        self.faust = FaustMetrics.create(registry, FAUST_PREFIX)
        self.faust.rebalance_done_latency.observe(120.0)

    def tick(self) -> None:
        """Advance every counter and histogram once."""
        now = time.time()
        self.logins.labels("success").inc(3)
        self.logins.labels("failure").inc()
        for kind, app in INTERACTIONS:
            self.interactions.labels(kind, app).inc(2)
        for topic in TOPICS:
            self.processed.labels(topic).inc(10)
        for reason in REJECT_REASONS:
            self.rejected.labels(reason).inc()
        self.event_lag.observe(0.5)
        self.flush_duration.observe(0.05)
        self.flush_failures.inc(0)
        self.last_flush.set(now)
        self.newest_event.set(now - 1)
        self.faust.rebalance_done_latency.observe(150.0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def start(self) -> None:
        self.tick()
        self._server, _ = start_http_server(self.port, addr="127.0.0.1", registry=self.registry)
        self._thread = threading.Thread(target=self._run, name="sample-exporter-ticks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            self.tick()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
