"""Creation of the event and dead-letter topics with the configured partition count."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.errors import SocialiticaError
from pipeline.kafka import kafka_python_config
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


class TopicError(SocialiticaError):
    """A topic exists with a layout the worker cannot use."""


def ensure_topics(settings: Settings, broker: str) -> None:
    """Create the event, dead-letter, directory and raw audit-log topics when missing.

    The two event topics must have the same partition count: the user table is co-partitioned
    with both, so a user's logins and interactions meet in the same partition.
    """
    names = (
        settings.logins_topic,
        settings.interactions_topic,
        settings.deadletter_topic,
        settings.absences_topic,
        *(settings.raw_topic(name) for name in settings.raw_format_names),
    )
    admin = KafkaAdminClient(**kafka_python_config(settings, broker), client_id="socialitica-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, settings.topic_partitions, settings.topic_replication_factor)
            for name in names
            if name not in existing
        ]
        if settings.directory_topic not in existing:
            # Compacted: Kafka keeps the newest profile per user id for as long as the topic exists.
            missing.append(
                NewTopic(
                    settings.directory_topic,
                    settings.topic_partitions,
                    settings.topic_replication_factor,
                    topic_configs={"cleanup.policy": "compact"},
                )
            )
        if missing:
            try:
                admin.create_topics(missing)
                logger.info("created topics %s", ", ".join(topic.name for topic in missing))
            except TopicAlreadyExistsError:
                pass  # another process created them between our listing and our request
        described = admin.describe_topics([settings.logins_topic, settings.interactions_topic])
    finally:
        admin.close()

    counts = {topic["name"]: len(topic["partitions"]) for topic in described}
    if len(set(counts.values())) > 1:
        raise TopicError(
            f"event topics have different partition counts {counts}; both need "
            f"{settings.topic_partitions} (SOCIALITICA_TOPIC_PARTITIONS) so the user table stays co-partitioned"
        )
