"""Session fixtures: one Kafka broker for the integration tests, and unique topics on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

BOOTSTRAP_ENV = "SOCIALITICA_TEST_KAFKA_BOOTSTRAP"
"""Environment variable naming an existing broker (``host:port``) for the tests to use."""

_BROKER_START_TIMEOUT_S = 180.0


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address ``host:port`` of the session's Kafka broker.

    Uses the broker named by $SOCIALITICA_TEST_KAFKA_BOOTSTRAP when set. Otherwise starts a
    LocalBroker in a temporary folder on first use and stops it at the end of the session. If
    pytest itself is killed, the kernel kills the broker too.
    """
    external = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if external:
        yield external.removeprefix("kafka://")
        return

    from pipeline.broker import LocalBroker

    with LocalBroker() as broker:
        info = broker.start(tmp_path_factory.mktemp("kafka"), timeout_s=_BROKER_START_TIMEOUT_S)
        yield info.bootstrap


@pytest.fixture
def kafka_topic_factory(kafka_bootstrap: str) -> Iterator[Callable[..., str]]:
    """Function ``create(partitions=1, prefix="test") -> name`` making a new, uniquely named topic.

    Each topic has replication factor 1 and a leader for every partition when ``create`` returns.
    The topics are deleted when the test ends.
    """
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="socialitica-tests")
    created: list[str] = []

    def create(partitions: int = 1, prefix: str = "test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1}}, wait_for_metadata=True)
        created.append(name)
        return name

    try:
        yield create
    finally:
        if created:
            admin.delete_topics(created, raise_errors=False)
        admin.close()


@pytest.fixture(scope="session")
def live_worker_metrics_url(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real worker's /metrics after it processed logins, interactions, a bad event and a directory.

    The worker runs on the wall clock with events from the last hour, a 30-person directory in
    three departments, two locations and two countries, and group gauges refreshed every second.
    """
    from tests.integration.live_worker import start_live_worker

    with start_live_worker(kafka_bootstrap, tmp_path_factory.mktemp("live-worker")) as url:
        yield url
