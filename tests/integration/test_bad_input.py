"""Bad events go to the dead-letter topic with their reason while good events keep flowing."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.integration.harness import Deployment, sample, wait_for

pytestmark = pytest.mark.integration


def good_login(user: str) -> bytes:
    return orjson.dumps({"event_id": f"ok-{user}", "user_id": user, "timestamp": time.time() - 60, "outcome": "success"})


BAD_LOGINS: list[tuple[str, bytes, bytes]] = [
    ("invalid_json", b"u1", b'{"event_id": "b1", "user_id": "u1", '),
    ("missing_user_id", b"u2", orjson.dumps({"event_id": "b2", "timestamp": 1262304000, "outcome": "success"})),
    ("missing_user_id", b"u3", orjson.dumps({"event_id": "b3", "user_id": "", "timestamp": 1262304000, "outcome": "success"})),
    ("invalid_timestamp", b"u4", orjson.dumps({"event_id": "b4", "user_id": "u4", "timestamp": "31/31/2010", "outcome": "success"})),
    ("future_timestamp", b"u5", orjson.dumps({"event_id": "b5", "user_id": "u5", "timestamp": time.time() + 3600, "outcome": "success"})),
]
BAD_INTERACTIONS: list[tuple[str, bytes, bytes]] = [
    ("unknown_kind", b"u6", orjson.dumps({"event_id": "b6", "user_id": "u6", "timestamp": 1262304000, "kind": "teleport", "app": "blogs"})),
]


def test_bad_input_reaches_deadletter(kafka_bootstrap: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka_bootstrap, tmp_path / "data", "bad-input")
    worker = deployment.start_worker()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        logins, interactions = f"{deployment.name}.logins", f"{deployment.name}.interactions"
        producer.send(logins, key=b"before", value=good_login("before"))
        for _, key, value in BAD_LOGINS:
            producer.send(logins, key=key, value=value)
        for _, key, value in BAD_INTERACTIONS:
            producer.send(interactions, key=key, value=value)
        producer.send(logins, key=b"after", value=good_login("after"))
        producer.flush()

        wait_for(lambda: sample(worker.metrics(), "socialitica_known_users") == 2, 60, "both good users")
        metrics = worker.metrics()
        assert sample(metrics, "socialitica_events_rejected_total", reason="invalid_json") == 1
        assert sample(metrics, "socialitica_events_rejected_total", reason="missing_user_id") == 2
        assert sample(metrics, "socialitica_events_rejected_total", reason="invalid_timestamp") == 1
        assert sample(metrics, "socialitica_events_rejected_total", reason="future_timestamp") == 1
        assert sample(metrics, "socialitica_events_rejected_total", reason="unknown_kind") == 1
        assert sample(metrics, "socialitica_logins_total", outcome="success") == 2

        consumer = KafkaConsumer(
            f"{deployment.name}.deadletter",
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=10_000,
        )
        dead = []
        for message in consumer:
            dead.append(message)
            if len(dead) == len(BAD_LOGINS) + len(BAD_INTERACTIONS):
                break
        consumer.close()
    finally:
        producer.close()
        assert worker.stop() == 0, worker.log_tail()

    expected = {(value, reason) for reason, _, value in BAD_LOGINS + BAD_INTERACTIONS}
    found = {(message.value, dict(message.headers)["reason"].decode()) for message in dead}
    assert found == expected
    for message in dead:
        headers = dict(message.headers)
        assert headers["detail"]
        assert headers["source_topic"].decode().startswith(deployment.name)
        assert int(headers["source_offset"]) >= 0
