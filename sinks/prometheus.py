"""Prometheus metrics of the worker: event counters and gauges computed at scrape time."""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from agents.windows import WINDOWS_DAYS, ActivityIndex
from pipeline.events import RejectReason

logger = logging.getLogger(__name__)

# Applications that get their own label value on the interactions counter; any other app is
# counted as "other" so a producer cannot create unbounded series.
KNOWN_APPS = frozenset(
    {
        "activities", "blogs", "bookmarks", "calendar", "chat", "communities", "files", "forums",
        "mail", "meetings", "profiles", "sharepoint", "onedrive", "teams", "wikis", "yammer",
        "engage", "slack", "mattermost", "workplace", "other",
    }
)  # fmt: skip

# Event lag spans seconds for live traffic and years for a replay of old data.
LAG_BUCKETS_SECONDS = (0.1, 0.5, 1, 2, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)
FLUSH_BUCKETS_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

def window_label(days: int) -> str:
    return f"{days}d"

@dataclass(frozen=True, slots=True)
class ClockReading:
    """The reporting day used for the window gauges and the newest event time seen."""

    today: int | None
    newest_event_timestamp: float | None

class ActivityCollector(Collector):
    """Gauges read from the in-memory activity index at scrape time.

    Only partitions the worker actively owns are in the index, so summing the gauges over all
    workers gives the cluster total. ``collect`` never raises: a failure is logged and the scrape
    goes on without these gauges.
    """

    def __init__(
        self,
        index: ActivityIndex,
        clock: Callable[[], ClockReading],
        consumer_lag: Callable[[], Mapping[str, int]],
    ) -> None:
        self._index = index
        self._clock = clock
        self._consumer_lag = consumer_lag

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        """Return empty families of every gauge, keyed by name, for describe() and collect()."""
        families = [
            GaugeMetricFamily("socialitica_active_users", "Users with activity in the window.", labels=["window"]),
            GaugeMetricFamily(
                "socialitica_login_active_users", "Users with a successful login in the window.", labels=["window"]
            ),
            GaugeMetricFamily("socialitica_known_users", "Users with at least one accepted event."),
            GaugeMetricFamily("socialitica_owned_partitions", "Partitions this worker actively owns."),
            GaugeMetricFamily(
                "socialitica_newest_event_timestamp_seconds", "Event time of the newest accepted event."
            ),
            GaugeMetricFamily(
                "socialitica_consumer_lag_messages",
                "Messages behind the end of the owned partitions.",
                labels=["topic"],
            ),
        ]
        return {family.name: family for family in families}

    def describe(self) -> Iterable[Metric]:
        return list(self._families().values())

    def collect(self) -> Iterable[Metric]:
        try:
            return self._collect()
        except Exception:  # a scrape must never fail because of one collector
            logger.exception("collecting activity gauges failed; the scrape goes on without them")
            return []

    def _collect(self) -> list[Metric]:
        reading = self._clock()
        families = self._families()

        if reading.today is not None:
            for days in WINDOWS_DAYS:
                label = [window_label(days)]
                families["socialitica_active_users"].add_metric(label, self._index.active_users(reading.today, days))
                families["socialitica_login_active_users"].add_metric(
                    label, self._index.active_users(reading.today, days, logins_only=True)
                )

        families["socialitica_known_users"].add_metric([], self._index.known_users())
        families["socialitica_owned_partitions"].add_metric([], len(self._index.partitions))
        if reading.newest_event_timestamp is not None:
            families["socialitica_newest_event_timestamp_seconds"].add_metric([], reading.newest_event_timestamp)

        for topic, messages in sorted(self._consumer_lag().items()):
            families["socialitica_consumer_lag_messages"].add_metric([topic], messages)
        return list(families.values())


class BulkHistogram(Collector):
    """A histogram that takes a message's observations in one call, under one lock.

    ``prometheus_client.Histogram.observe`` takes a lock and walks the buckets per value, which at
    tens of thousands of events per second costs more than folding the event in. The exposition
    is the same as a ``Histogram`` without the ``_created`` sample.
    """

    def __init__(
        self, name: str, documentation: str, buckets: Sequence[float], registry: CollectorRegistry
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._bounds = sorted(float(bound) for bound in buckets)
        self._counts = [0] * (len(self._bounds) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, values: Iterable[float]) -> None:
        bounds, counts = self._bounds, self._counts
        total = 0.0
        with self._lock:
            for value in values:
                counts[bisect_left(bounds, value)] += 1
                total += value
            self._sum += total

    def observe(self, value: float) -> None:
        self.observe_many((value,))

    def describe(self) -> Iterable[Metric]:
        return [HistogramMetricFamily(self._name, self._documentation)]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, buckets = 0, []
        for bound, count in zip([*self._bounds, float("inf")], counts, strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))
        return [HistogramMetricFamily(self._name, self._documentation, buckets=buckets, sum_value=total)]


class PipelineMetrics:
    """Counters and histograms the agents and the warehouse sink update as they work."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.logins = Counter(
            "socialitica_logins", "Accepted login events by outcome.", ["outcome"], registry=registry
        )
        self.interactions = Counter(
            "socialitica_interactions", "Accepted interaction events.", ["kind", "app"], registry=registry
        )
        self.processed = Counter(
            "socialitica_events_processed", "Events read from a topic, accepted or not.", ["topic"], registry=registry
        )
        self.rejected = Counter(
            "socialitica_events_rejected", "Events sent to the dead-letter topic.", ["reason"], registry=registry
        )
        self.redelivered = Counter(
            "socialitica_events_redelivered",
            "Events skipped because the table had already applied their offset.",
            ["topic"],
            registry=registry,
        )
        self.event_lag = BulkHistogram(
            "socialitica_event_lag_seconds",
            "Processing time minus event time of accepted events.",
            LAG_BUCKETS_SECONDS,
            registry,
        )
        self.flush_duration = Histogram(
            "socialitica_flush_duration_seconds",
            "Time to write one warehouse flush.",
            buckets=FLUSH_BUCKETS_SECONDS,
            registry=registry,
        )
        self.flush_failures = Counter(
            "socialitica_flush_failures", "Warehouse flushes that failed and will be retried.", registry=registry
        )
        self.profile_updates = Counter(
            "socialitica_directory_updates", "Directory profiles received from the directory topic.", registry=registry
        )
        self.flushed_rows = Counter(
            "socialitica_flushed_rows", "Rows written to the warehouse.", ["table"], registry=registry
        )

        self.last_flush_success = Gauge(
            "socialitica_last_flush_success_timestamp_seconds",
            "Wall-clock time of the last successful warehouse flush.",
            registry=registry,
        )
        for outcome in ("success", "failure"):
            self.logins.labels(outcome)
        for reason in RejectReason:
            self.rejected.labels(reason.value)

    @staticmethod
    def app_label(app: str) -> str:
        return app if app in KNOWN_APPS else "other"
