"""Every dashboard panel's query returns data from a real worker that has processed events.

Needs the fixture `live_worker_metrics_url`: the URL of a running worker's /metrics after it
processed a batch of events. The tests skip while no conftest provides it.
"""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest

from tests.ops.dashboard_queries import check_targets_return_data
from tests.ops.prometheus_server import check_metrics
from tests.ops.sample_exporter import own_metric_problems


@pytest.fixture
def worker_metrics_url(request: pytest.FixtureRequest) -> str:
    try:
        return request.getfixturevalue("live_worker_metrics_url")
    except pytest.FixtureLookupError:
        pytest.skip("no fixture live_worker_metrics_url: a real worker is not wired into the tests yet")


def test_every_panel_query_returns_worker_data(worker_metrics_url, start_prometheus):
    url = urllib.parse.urlsplit(worker_metrics_url)
    prometheus = start_prometheus([url.netloc], metrics_path=url.path or "/metrics")
    prometheus.wait_for('up{job="socialitica-worker"} == 1')

    problems = check_targets_return_data(prometheus, timeout=60)

    assert problems == []


def test_promtool_accepts_worker_exposition(worker_metrics_url, prometheus_bin_dir):
    with urllib.request.urlopen(worker_metrics_url, timeout=10) as response:
        exposition = response.read()

    problems = check_metrics(prometheus_bin_dir, exposition)

    assert own_metric_problems(problems) == []
