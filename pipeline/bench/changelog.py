"""Writing the user table's changelog topic directly, and counting its records.

A worker that starts with no local state rebuilds its table from this topic. Seeding it with one
record per user therefore gives a table of any size without processing events. One record per user
is what a long-running deployment keeps after Kafka has compacted the changelog.
"""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from pipeline.bench.errors import BenchError
from pipeline.bench.offsets import GroupOffsets
from pipeline.kafka import kafka_python_config
from pipeline.packing import partition_for
from pipeline.settings import Settings

USERS_TABLE = "users"
SEND_TIMEOUT_S = 300.0


def changelog_topic(settings: Settings) -> str:
    """Return the name Faust gives the user table's changelog: ``<app id>-users-changelog``."""
    return f"{settings.app_id}-{USERS_TABLE}-changelog"


def seed_changelog(settings: Settings, bootstrap: str, records: Iterable[tuple[str, bytes]]) -> int:
    """Create the changelog topic as Faust does (compacted, one partition per table partition) and fill it.

    Each (user id, serialised state) record goes to the murmur2 partition of its user id, the
    partition the worker's own writes use. Returns the number of records sent.
    """
    topic = changelog_topic(settings)
    admin = KafkaAdminClient(**kafka_python_config(settings, bootstrap), client_id="socialitica-bench")
    try:
        admin.create_topics(
            [
                NewTopic(
                    topic,
                    settings.topic_partitions,
                    settings.topic_replication_factor,
                    topic_configs={"cleanup.policy": "compact"},
                )
            ]
        )
    finally:
        admin.close()

    producer = KafkaProducer(
        **kafka_python_config(settings, bootstrap),
        acks="all",
        linger_ms=50,
        batch_size=1024 * 1024,
        client_id="socialitica-bench-changelog",
    )
    sent = 0
    failures: list[Exception] = []
    try:
        for user, state in records:
            partition = partition_for(user, settings.topic_partitions)
            producer.send(topic, key=user.encode(), value=state, partition=partition).add_errback(failures.append)
            sent += 1
        producer.flush(timeout=SEND_TIMEOUT_S)
    finally:
        producer.close(timeout=SEND_TIMEOUT_S)
    if failures:
        raise BenchError(f"{len(failures)} of {sent} changelog records were not acknowledged: {failures[0]}")
    return sent


def changelog_records(settings: Settings, bootstrap: str) -> int:
    """Return how many records the changelog topic contains: the sum of its partitions' end offsets."""
    with GroupOffsets(settings, bootstrap, settings.app_id) as offsets:
        ends = offsets.end_offsets([changelog_topic(settings)])
    if not ends:
        raise BenchError(f"changelog topic {changelog_topic(settings)} not found on {bootstrap}")
    return sum(ends.values())
