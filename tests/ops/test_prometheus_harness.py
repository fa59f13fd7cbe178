"""The Prometheus test harness against the sample exporter: start, scrape, rules, queries, stop."""

from __future__ import annotations

import urllib.request

import pytest

from tests.ops.prometheus_server import RULE_FILES, PrometheusError, check_metrics, free_port
from tests.ops.sample_exporter import SampleExporter, own_metric_problems


def test_server_scrapes_target(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    result = prometheus.wait_for('up{job="socialitica-worker"} == 1')

    assert result[0]["metric"]["instance"] == sample_exporter.target
    known = prometheus.wait_for("socialitica_known_users")
    assert float(known[0]["value"][1]) == 200


def test_server_binds_loopback_only(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    assert prometheus.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{prometheus.url}/-/ready", timeout=5) as response:
        assert response.status == 200


def test_server_loads_project_rules(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    groups = {group["name"] for group in prometheus.rule_groups()}

    assert len(RULE_FILES) == 2
    assert {"socialitica-usage", "socialitica-pipeline", "socialitica-usage-alerts"} <= groups


def test_recording_rule_sums_workers(start_prometheus):
    exporters = [SampleExporter(free_port()), SampleExporter(free_port())]
    for exporter in exporters:
        exporter.start()
    try:
        prometheus = start_prometheus([exporter.target for exporter in exporters])

        prometheus.wait_for('count(up{job="socialitica-worker"} == 1) == 2')
        known = prometheus.wait_for('job:socialitica_known_users:sum{job="socialitica-worker"} == 400')
    finally:
        for exporter in exporters:
            exporter.stop()

    assert float(known[0]["value"][1]) == 400


def test_query_error_names_the_problem(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    with pytest.raises(PrometheusError, match="bad_data"):
        prometheus.query("sum(")


def test_wait_for_times_out(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])

    with pytest.raises(PrometheusError, match="returned no data"):
        prometheus.wait_for("socialitica_metric_that_does_not_exist", timeout=1)


def test_stop_ends_the_process(sample_exporter, start_prometheus):
    prometheus = start_prometheus([sample_exporter.target])
    url = prometheus.url

    prometheus.stop()

    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/-/ready", timeout=2)


def test_bad_config_fails_start_with_log(sample_exporter, start_prometheus, tmp_path):
    broken_rules = tmp_path / "broken.yml"
    broken_rules.write_text("groups:\n  - name: broken\n    rules:\n      - record: x\n        expr: sum(\n")

    with pytest.raises(PrometheusError, match="exited with status"):
        start_prometheus([sample_exporter.target], rule_files=[broken_rules])


def test_promtool_accepts_sample_exposition(sample_exporter, prometheus_bin_dir):
    problems = check_metrics(prometheus_bin_dir, sample_exporter.exposition())

    assert own_metric_problems(problems) == []


def test_promtool_lint_catches_bad_names(prometheus_bin_dir):
    exposition = b"# HELP socialitica_flush_ms Flush time.\n# TYPE socialitica_flush_ms gauge\nsocialitica_flush_ms 3\n"

    problems = check_metrics(prometheus_bin_dir, exposition)

    assert any("abbreviated units" in line for line in problems)


def test_promtool_rejects_unparsable_exposition(prometheus_bin_dir):
    with pytest.raises(PrometheusError, match="exit status 1"):
        check_metrics(prometheus_bin_dir, b"socialitica_known_users{ 1\n")
