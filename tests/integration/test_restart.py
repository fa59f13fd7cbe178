"""A restarted worker recovers its table and counts every event exactly once."""

from __future__ import annotations

import json
import random
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import rocksdict
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from tests.integration.harness import Deployment, sample, wait_for

pytestmark = pytest.mark.integration

START = datetime(2010, 3, 1, tzinfo=UTC)
AS_OF = date(2010, 3, 10)


def make_events(seed: int, count: int, users: int) -> list[dict]:
    generator = random.Random(seed)
    events = []
    for number in range(count):
        moment = START + timedelta(seconds=generator.randrange(0, 10 * 86400))
        user = f"user{generator.randrange(users):03d}"
        events.append(
            {"event_id": f"{seed}-{number}", "user_id": user, "timestamp": moment.isoformat(), "outcome": "success"}
        )
    return events


def send(broker: str, topic: str, events: list[dict]) -> None:
    producer = KafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    for event in events:
        producer.send(topic, key=event["user_id"].encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()


def persisted_changelog_offsets(deployment: Deployment) -> dict[int, int | None]:
    """Read the changelog offset each partition's RocksDB database records for Faust's recovery."""
    offsets: dict[int, int | None] = {}
    for partition in range(deployment.partitions):
        path = deployment.data_dir / "state" / "v1" / "tables" / f"users-{partition}.db"
        database = rocksdict.Rdict(str(path), options=rocksdict.Options(raw_mode=True), access_type=rocksdict.AccessType.read_only())
        value = database.get(b"__faust\x00offset__")
        database.close()
        offsets[partition] = None if value is None else int(value)
    return offsets


def changelog_last_offsets(deployment: Deployment) -> dict[int, int | None]:
    consumer = KafkaConsumer(bootstrap_servers=deployment.broker)
    topic = f"{deployment.name}-users-changelog"
    ends = consumer.end_offsets([TopicPartition(topic, p) for p in range(deployment.partitions)])
    consumer.close()
    return {tp.partition: (end - 1 if end else None) for tp, end in ends.items()}


def report_totals(deployment: Deployment) -> tuple[dict, int]:
    result = deployment.cli("report", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert result.returncode == 0, result.stderr
    import duckdb

    connection = duckdb.connect(str(deployment.data_dir / "socialitica.duckdb"), read_only=True)
    logins = connection.execute("SELECT sum(logins) FROM user_days").fetchone()[0]
    connection.close()
    return json.loads(result.stdout), int(logins or 0)


def test_restart_keeps_state_and_counts(kafka_bootstrap: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka_bootstrap, tmp_path / "data", "restart", partitions=2)
    topic = f"{deployment.name}.logins"
    first, second, third = make_events(1, 1500, 120), make_events(2, 1500, 150), make_events(3, 1000, 150)

    # 1. Clean stop and restart from the local RocksDB state.
    worker = deployment.start_worker("--flush-interval", "1")
    send(kafka_bootstrap, topic, first)
    worker.wait_processed(len(first))
    assert worker.stop() == 0, worker.log_tail()
    # The batched table writes record the changelog offset they reached, so a restart resumes
    # Faust's recovery at the end of the changelog.
    assert persisted_changelog_offsets(deployment) == changelog_last_offsets(deployment)

    worker = deployment.start_worker("--flush-interval", "1")
    known_first = len({event["user_id"] for event in first})
    assert sample(worker.metrics(), "socialitica_known_users") == known_first

    # 2. Hard kill mid-stream: redelivered events must not be counted twice.
    send(kafka_bootstrap, topic, second)
    wait_for(lambda: sample(worker.metrics(), "socialitica_events_processed_total", topic=topic) > 500, 120, "progress")
    worker.kill()

    # 3. Restart from the changelog alone: the local table state is gone.
    shutil.rmtree(deployment.data_dir / "state")
    worker = deployment.start_worker("--flush-interval", "1")
    restored = re.search(r"restored (\d+) changelog records", worker.log_path.read_text())
    assert restored is not None and int(restored.group(1)) >= known_first, worker.log_tail()
    send(kafka_bootstrap, topic, third)
    everything = first + second + third
    wait_for(
        lambda: sample(worker.metrics(), "socialitica_logins_total", outcome="success") >= 1,
        60,
        "processing after restart",
    )
    users = {event["user_id"] for event in everything}
    wait_for(lambda: sample(worker.metrics(), "socialitica_known_users") == len(users), 180, "all users known")
    wait_for(lambda: report_totals(deployment)[1] == len(everything), 120, "every event in the warehouse once")
    assert worker.stop() == 0, worker.log_tail()

    report, logins = report_totals(deployment)
    assert logins == len(everything)
    assert report["known_users"] == len(users)
    days = {datetime.fromisoformat(event["timestamp"]).date() for event in everything}
    assert max(days) <= AS_OF
    last_week = {e["user_id"] for e in everything if datetime.fromisoformat(e["timestamp"]).date() > AS_OF - timedelta(days=7)}
    assert report["active_users"]["7d"] == len(last_week)
