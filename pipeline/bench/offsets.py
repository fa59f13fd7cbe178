"""Topic end offsets and a consumer group's committed offsets, read without joining the group."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from kafka import KafkaConsumer, TopicPartition

from pipeline.kafka import kafka_python_config
from pipeline.settings import Settings


class GroupOffsets:
    """A kafka-python consumer that fetches offsets for ``group`` but never subscribes or joins it."""

    def __init__(self, settings: Settings, bootstrap: str, group: str) -> None:
        self._consumer = KafkaConsumer(
            **kafka_python_config(settings, bootstrap),
            group_id=group,
            enable_auto_commit=False,
            client_id="socialitica-bench",
        )

    def __enter__(self) -> GroupOffsets:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._consumer.close()

    def end_offsets(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        """Return the next offset of every partition of ``topics``."""
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        return dict(self._consumer.end_offsets(partitions))

    def committed(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Return the group's committed offset of each partition (-1 where it has none)."""
        found = {}
        for partition in partitions:
            offset = self._consumer.committed(partition)
            found[partition] = -1 if offset is None else offset
        return found

    def covers(self, goal: dict[TopicPartition, int]) -> bool:
        """Return True when the group has committed at least ``goal`` on every partition.

        An empty partition (goal 0) needs no commit: a consumer commits only after reading a message.
        """
        pending = {partition: offset for partition, offset in goal.items() if offset > 0}
        committed = self.committed(pending)
        return all(committed[partition] >= offset for partition, offset in pending.items())
