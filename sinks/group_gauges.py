"""Per-group population and active users for Prometheus, computed from the warehouse on an interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sinks.hr import FORMER_GROUP, UNKNOWN_GROUP, GroupCounts, compute_statuses, connect_hr, group_breakdown
from sinks.warehouse import connect_readonly

logger = logging.getLogger(__name__)

OTHER_GROUP = "other"


@dataclass(frozen=True, slots=True)
class GroupGauge:
    """One exported series pair: a group's population and its active users in a window."""

    window: str
    dimension: str
    group: str
    population: int
    active: int


def fold_groups(counts: Sequence[GroupCounts], dimension: str, min_size: int, max_groups: int) -> list[GroupGauge]:
    """Bound the label values: small groups and those past the largest ``max_groups`` become "other".

    "unknown" and "former" (activity outside the population) are left out: they have no
    population, and the report and export show them.
    """
    gauges: list[GroupGauge] = []
    for window in sorted({item.window for item in counts}, key=lambda label: int(label.rstrip("d"))):
        groups = [item for item in counts if item.window == window and item.group not in (UNKNOWN_GROUP, FORMER_GROUP)]
        groups.sort(key=lambda item: (-item.population, item.group))
        other_population = other_active = 0
        named = 0
        for item in groups:
            if item.population >= min_size and named < max_groups - 1:
                gauges.append(GroupGauge(window, dimension, item.group, item.population, item.active))
                named += 1
            else:
                other_population += item.population
                other_active += item.active
        if other_population:
            gauges.append(GroupGauge(window, dimension, OTHER_GROUP, other_population, other_active))
    return gauges


def compute_group_gauges(
    data_dir: Path,
    reporting_timezone: str,
    dimensions: Sequence[str],
    as_of: date,
    min_size: int,
    max_groups: int,
) -> list[GroupGauge]:
    """Query the warehouse (directory history, absences, activity) for every configured dimension."""
    connection = connect_hr(data_dir / "warehouse", connect_readonly(data_dir, reporting_timezone))
    try:
        compute_statuses(connection, as_of)
        gauges: list[GroupGauge] = []
        for dimension in dimensions:
            gauges.extend(fold_groups(group_breakdown(connection, dimension, as_of), dimension, min_size, max_groups))
        return gauges
    finally:
        connection.close()


class GroupGaugeCollector(Collector):
    """Exports the latest computed group gauges, only while ``is_exporter()`` is true.

    Every worker reads the same warehouse, so only one of them (the Faust leader) exports these
    series. A sum over workers then counts each person once.
    """

    def __init__(self, is_exporter: Callable[[], bool]) -> None:
        self._is_exporter = is_exporter
        self._lock = threading.Lock()
        self._gauges: list[GroupGauge] = []

    def update(self, gauges: list[GroupGauge]) -> None:
        with self._lock:
            self._gauges = gauges

    def describe(self) -> Iterable[Metric]:
        return self._families([])

    def collect(self) -> Iterable[Metric]:
        try:
            with self._lock:
                gauges = list(self._gauges) if self._is_exporter() else []
            return self._families(gauges)
        except Exception:  # a scrape must never fail because of one collector
            logger.exception("collecting group gauges failed; the scrape goes on without them")
            return []

    @staticmethod
    def _families(gauges: list[GroupGauge]) -> list[Metric]:
        labels = ["window", "dimension", "group"]
        population = GaugeMetricFamily(
            "socialitica_population_users",
            "Enabled people not excused and past onboarding, per directory group.",
            labels=labels,
        )
        active = GaugeMetricFamily(
            "socialitica_group_active_users", "People of the population active in the window, per group.", labels=labels
        )
        for gauge in gauges:
            key = [gauge.window, gauge.dimension, gauge.group]
            population.add_metric(key, gauge.population)
            active.add_metric(key, gauge.active)
        return [population, active]
