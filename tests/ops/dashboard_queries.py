"""The PromQL targets of the committed Grafana dashboards, with Grafana's variables filled in for tests."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from tests.ops.prometheus_server import REPO_ROOT, WORKER_JOB, PrometheusError, PrometheusServer

DASHBOARD_DIR = REPO_ROOT / "deploy" / "grafana" / "dashboards"

# Values a test Prometheus (1 s scrapes, a few seconds of data) can evaluate. Grafana computes
# $__rate_interval from the data source's scrape interval and $__range from the time picker.
VARIABLE_VALUES = {
    "job": WORKER_JOB,
    "window": "7d",
    "__rate_interval": "1m",
    "__range": "1h",
}

# Baselines a week and more in the past: a fresh Prometheus has no samples for them.
_NEEDS_HISTORY = re.compile(r"offset|_offset1w|_median3w")


@dataclass(frozen=True)
class PanelTarget:
    dashboard: str
    panel: str
    ref_id: str
    expr: str

    @property
    def needs_history(self) -> bool:
        return bool(_NEEDS_HISTORY.search(self.expr))

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def dashboard_paths() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob("*.json"))


def substitute(expr: str, values: dict[str, str] = VARIABLE_VALUES) -> str:
    """Replace $name and ${name} with test values; raise KeyError naming an unknown variable."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no test value for dashboard variable ${name} in {expr!r}")
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, expr)


def panel_targets() -> list[PanelTarget]:
    """Every Prometheus target of every panel, variables still in place."""
    targets = []
    for path in dashboard_paths():
        document = json.loads(path.read_text(encoding="utf-8"))
        for panel in document.get("panels", []):
            for target in panel.get("targets", []):
                targets.append(PanelTarget(document["title"], panel["title"], target["refId"], target["expr"]))
    return targets


def check_targets_return_data(prometheus: PrometheusServer, timeout: float = 30.0) -> list[str]:
    """Query every panel target; return one message per target that failed or stayed empty.

    Targets that read baselines of earlier weeks only have to evaluate without an error.
    Recording rules and rates need a few scrapes and evaluations, so empty results are
    retried until `timeout` seconds have passed for the whole set.
    """
    deadline = time.monotonic() + timeout
    problems = []
    for target in panel_targets():
        expr = substitute(target.expr)
        try:
            if target.needs_history:
                prometheus.query(expr)
            else:
                prometheus.wait_for(expr, timeout=max(deadline - time.monotonic(), 0.0))
        except PrometheusError as exc:
            problems.append(f"{target}: {exc}")
    return problems
