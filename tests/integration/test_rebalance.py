"""Two workers split the partitions; summed gauges stay right through a rebalance."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from tests.integration.harness import Deployment, sample, wait_for

pytestmark = pytest.mark.integration

USERS = [f"person{number:03d}" for number in range(60)]
DAY = 1_262_304_000  # 2010-01-01T00:00:00Z


def produce_logins(broker: str, topic: str, first_offset: int) -> None:
    producer = KafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    for number, user in enumerate(USERS):
        event = {"event_id": f"{first_offset}-{number}", "user_id": user, "timestamp": DAY + number, "outcome": "success"}
        producer.send(topic, key=user.encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()


def cluster_sum(workers: list, name: str, **labels: str) -> float:
    return sum(sample(worker.metrics(), name, **labels) for worker in workers)


def test_two_workers_sum_to_totals(kafka_bootstrap: str, tmp_path: Path) -> None:
    # Each worker has its own data dir (RocksDB state), as two pods would.
    first = Deployment(kafka_bootstrap, tmp_path / "a", "rebalance")
    second = Deployment(kafka_bootstrap, tmp_path / "b", "rebalance")
    topic = f"{first.name}.logins"

    one = first.start_worker("--clock", "replay")
    produce_logins(kafka_bootstrap, topic, 0)
    wait_for(lambda: sample(one.metrics(), "socialitica_known_users") == len(USERS), 60, "all users on one worker")

    two = second.start_worker_sharing_partitions("--clock", "replay")
    workers = [one, two]
    wait_for(
        lambda: cluster_sum(workers, "socialitica_owned_partitions") == first.partitions
        and sample(two.metrics(), "socialitica_owned_partitions") > 0,
        120,
        "the partitions to be split between two workers",
    )
    wait_for(lambda: cluster_sum(workers, "socialitica_known_users") == len(USERS), 60, "known users summed")
    assert cluster_sum(workers, "socialitica_active_users", window="1d") == len(USERS)
    assert sample(one.metrics(), "socialitica_known_users") < len(USERS)

    assert two.stop() == 0, two.log_tail()
    wait_for(
        lambda: sample(one.metrics(), "socialitica_owned_partitions") == first.partitions,
        120,
        "the first worker to take every partition back",
    )
    wait_for(lambda: sample(one.metrics(), "socialitica_known_users") == len(USERS), 60, "known users on one worker")
    assert one.stop() == 0, one.log_tail()
