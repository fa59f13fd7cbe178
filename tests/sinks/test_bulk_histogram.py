"""BulkHistogram exposes what prometheus_client's Histogram exposes for the same values."""

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from sinks.prometheus import LAG_BUCKETS_SECONDS, BulkHistogram

VALUES = [0.0, 0.05, 0.1, 0.1000001, 1.0, 3.0, 900.0, 4e6, 9e9]


def samples(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if line and not line.startswith("#") and "_created" not in line)


def test_same_exposition_as_histogram() -> None:
    reference, bulk = CollectorRegistry(), CollectorRegistry()
    histogram = Histogram("lag_seconds", "Lag.", buckets=LAG_BUCKETS_SECONDS, registry=reference)
    for value in VALUES:
        histogram.observe(value)
    ours = BulkHistogram("lag_seconds", "Lag.", LAG_BUCKETS_SECONDS, bulk)
    ours.observe_many(VALUES[:4])
    ours.observe_many([])
    for value in VALUES[4:]:
        ours.observe(value)
    assert samples(bulk) == samples(reference)
    assert bulk.get_sample_value("lag_seconds_count") == len(VALUES)
    assert bulk.get_sample_value("lag_seconds_bucket", {"le": "0.1"}) == 3
