"""Workload sizes of a benchmark run: the full run and the small one the test suite uses."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class BenchSizes:
    """How much work each step does.

    ``events`` events of ``users`` users are preloaded for the throughput step. The footprint,
    restart, flush and query steps run with ``large_users`` users.
    """

    events: int
    users: int
    large_users: int
    latency_seconds: float
    pack_size: int
    partitions: int
    query_repeats: int
    poll_interval_seconds: float

    def with_overrides(self, **values: int | None) -> BenchSizes:
        """Return a copy with every non-None value replaced."""
        return replace(self, **{name: value for name, value in values.items() if value is not None})


FULL = BenchSizes(
    events=2_000_000,
    users=100_000,
    large_users=1_000_000,
    latency_seconds=30.0,
    pack_size=200,
    partitions=4,
    query_repeats=3,
    poll_interval_seconds=0.5,
)

SMALL = BenchSizes(
    events=20_000,
    users=2_000,
    large_users=10_000,
    latency_seconds=4.0,
    pack_size=200,
    partitions=4,
    query_repeats=1,
    poll_interval_seconds=0.1,
)
