"""Publishing the directory (compacted topic, one profile per user id) and absences to Kafka."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb
import orjson
from kafka import KafkaProducer

from pipeline.directory.records import Absence
from pipeline.kafka import kafka_python_config
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

PROFILE_COLUMNS = (
    "user_id", "display_name", "email", "department", "team", "manager_id", "location", "country",
    "employment_start", "account_type", "enabled", "valid_from",
)  # fmt: skip


def current_profiles(history_path: Path) -> list[dict[str, object]]:
    """Return each user's open history row; a leaver's row has ``enabled`` false."""
    columns = ", ".join(PROFILE_COLUMNS)
    with duckdb.connect() as connection:
        cursor = connection.execute(
            f"""
            SELECT {columns.replace("enabled", "enabled AND in_directory AS enabled")}
            FROM read_parquet(?)
            WHERE valid_to IS NULL
            ORDER BY user_id
            """,
            [str(history_path)],
        )
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def publish_absences(settings: Settings, broker: str, absences: Sequence[Absence]) -> int:
    """Send each absence keyed by user id to the absences topic (kept, not compacted)."""
    records = [
        {"user_id": absence.user_id, "start": absence.start, "end": absence.end, "reason": absence.reason}
        for absence in absences
    ]
    return _publish_by_user(settings, broker, settings.absences_topic, records)


def publish_profiles(settings: Settings, broker: str, profiles: list[dict[str, object]]) -> int:
    """Send the profiles keyed by user id; the topic's compaction keeps the newest per user."""
    return _publish_by_user(settings, broker, settings.directory_topic, profiles)


def _publish_by_user(settings: Settings, broker: str, topic: str, records: Sequence[dict[str, object]]) -> int:
    producer = KafkaProducer(**kafka_python_config(settings, broker), acks="all", client_id="socialitica-hr")
    try:
        for record in records:
            value = orjson.dumps(record, default=str)
            producer.send(topic, key=str(record["user_id"]).encode(), value=value)
        producer.flush()
    finally:
        producer.close()
    logger.info("published %d records to %s", len(records), topic)
    return len(records)
