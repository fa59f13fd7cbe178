from prometheus_client import CollectorRegistry, generate_latest

from agents.windows import ActivityIndex
from sinks.prometheus import ActivityCollector, ClockReading, PipelineMetrics


def test_collector_exports_windows() -> None:
    registry = CollectorRegistry()
    index = ActivityIndex()
    index.record(0, True, None, 100, None, 100)
    index.record(1, True, None, 95, None, None)
    registry.register(ActivityCollector(index, lambda: ClockReading(100, 1234.0), lambda: {"t.logins": 3}))
    assert registry.get_sample_value("socialitica_active_users", {"window": "1d"}) == 1
    assert registry.get_sample_value("socialitica_active_users", {"window": "7d"}) == 2
    assert registry.get_sample_value("socialitica_login_active_users", {"window": "7d"}) == 1
    assert registry.get_sample_value("socialitica_known_users") == 2
    assert registry.get_sample_value("socialitica_owned_partitions") == 2
    assert registry.get_sample_value("socialitica_newest_event_timestamp_seconds") == 1234.0
    assert registry.get_sample_value("socialitica_consumer_lag_messages", {"topic": "t.logins"}) == 3


def test_collector_failure_keeps_scrape_alive() -> None:
    registry = CollectorRegistry()
    metrics = PipelineMetrics(registry)
    metrics.logins.labels("success").inc()

    def broken_clock() -> ClockReading:
        raise RuntimeError("clock exploded")

    registry.register(ActivityCollector(ActivityIndex(), broken_clock, dict))
    exposition = generate_latest(registry).decode()
    assert 'socialitica_logins_total{outcome="success"} 1.0' in exposition
    assert "socialitica_active_users" not in exposition


def test_reject_reasons_exported_at_zero() -> None:
    registry = CollectorRegistry()
    PipelineMetrics(registry)
    assert registry.get_sample_value("socialitica_events_rejected_total", {"reason": "invalid_json"}) == 0
