"""Packed messages: several events of one partition's users in one Kafka message.

A packed message's value is a JSON array of canonical events. Its producer sends it to the
partition that Kafka's default partitioner (murmur2 of the user id) gives every user in it, so
each user's events still meet in one partition. Packing spreads the fixed cost of a Kafka
message over many events; single-event messages keyed by user id remain the normal form.
"""

from __future__ import annotations

from functools import lru_cache

from kafka.partitioner.default import murmur2

MAX_PACKED_EVENTS = 4096
POSITION_BITS = 12  # 2**12 == MAX_PACKED_EVENTS


def event_position(offset: int, index: int) -> int:
    """Return a number that orders events by (message offset, index within the message)."""
    return (offset << POSITION_BITS) | index


@lru_cache(maxsize=262_144)
def partition_for(user_id: str, partitions: int) -> int:
    """Return the partition Kafka's default (murmur2) partitioner picks for the user id key."""
    return (murmur2(user_id.encode()) & 0x7FFFFFFF) % partitions


def is_packed(value: bytes) -> bool:
    return value[:1] == b"[" or value.lstrip()[:1] == b"["
