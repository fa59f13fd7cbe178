"""The alert and recording rules: valid for promtool, unit-tested, documented, and built on known metrics."""

from __future__ import annotations

import re
import subprocess

import yaml

from tests.ops.prometheus_server import REPO_ROOT, RULE_FILES
from tests.ops.sample_exporter import faust_sample_names

PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"
RUNBOOK = REPO_ROOT / "docs" / "operations.md"

# The worker's metrics as the internal contract names them (served names, with suffixes).
CONTRACT_METRICS = frozenset(
    {
        "socialitica_active_users",
        "socialitica_login_active_users",
        "socialitica_known_users",
        "socialitica_logins_total",
        "socialitica_interactions_total",
        "socialitica_events_processed_total",
        "socialitica_events_rejected_total",
        "socialitica_newest_event_timestamp_seconds",
        "socialitica_event_lag_seconds_bucket",
        "socialitica_flush_duration_seconds_bucket",
        "socialitica_flush_duration_seconds_count",
        "socialitica_flush_failures_total",
        "socialitica_last_flush_success_timestamp_seconds",
        "socialitica_consumer_lag_messages",
        "socialitica_owned_partitions",
        "socialitica_population_users",
        "socialitica_group_active_users",
    }
)


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def rules() -> list[dict]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]


def metric_names(expr: str) -> set[str]:
    """Raw metric names (not recording-rule names, which contain ':') that an expression reads."""
    return set(re.findall(r"\b(socialitica_[a-z0-9_]+|up)\b(?=\s*[{\[)]|\s*offset|\s*$)", expr)) - {"up"}


def test_promtool_checks_rules(prometheus_bin_dir):
    completed = run_tool(str(prometheus_bin_dir / "promtool"), "check", "rules", *map(str, RULE_FILES))

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_promtool_unit_tests_pass(prometheus_bin_dir):
    test_files = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))

    completed = run_tool(str(prometheus_bin_dir / "promtool"), "test", "rules", *map(str, test_files))

    assert len(test_files) >= 2
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_promtool_checks_config(prometheus_bin_dir):
    completed = run_tool(
        str(prometheus_bin_dir / "promtool"), "check", "config", "--syntax-only", str(PROMETHEUS_DIR / "prometheus.yml")
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_amtool_checks_alertmanager_example(prometheus_bin_dir):
    completed = run_tool(str(prometheus_bin_dir / "amtool"), "check-config", str(PROMETHEUS_DIR / "alertmanager.example.yml"))

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_alert_is_unit_tested():
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    tested = set()
    for path in (PROMETHEUS_DIR / "tests").glob("*.yml"):
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in test.get("alert_rule_test", []):
                if check["exp_alerts"]:
                    tested.add(check["alertname"])

    assert alerts - tested == set(), "alerts without a firing case"


def test_every_alert_has_runbook_section():
    runbook = RUNBOOK.read_text(encoding="utf-8")

    for rule in rules():
        if "alert" not in rule:
            continue
        assert f"\n### {rule['alert']}\n" in runbook, f"docs/operations.md lacks a section for {rule['alert']}"
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"


def test_every_alert_has_severity_and_for():
    for rule in rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
            assert "for" in rule, rule["alert"]


def test_rules_read_only_known_metrics():
    known = CONTRACT_METRICS | faust_sample_names()

    for rule in rules():
        unknown = metric_names(rule["expr"]) - known
        assert unknown == set(), f"{rule.get('record') or rule.get('alert')} reads unknown metrics"
