"""What a source file yields for each of its rows: an event to send, a skipped row or a rejected one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import orjson

from pipeline.events import EventDecoder, InteractionEvent, LoginEvent, Rejection

TopicKind = Literal["logins", "interactions"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A validated event to produce, keyed by its user id."""

    topic: TopicKind
    key: bytes
    value: bytes
    line: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row that the mapping or the format deliberately leaves out (a logoff, a system record)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that could not become a valid event; it goes to the dead-letter topic."""

    line: int
    reason: str
    detail: str
    raw: bytes


IngestItem = Outgoing | Skipped | Rejected


# Kafka's default message size limit is 1 MiB; a larger event could be neither sent nor
# dead-lettered, so it is rejected here and only its first bytes go to the dead-letter topic.
MAX_EVENT_BYTES = 256 * 1024
DEADLETTER_EXCERPT_BYTES = 64 * 1024


def validated(decoder: EventDecoder, topic: TopicKind, value: bytes, line: int) -> Outgoing | Rejected:
    """Validate a canonical event exactly as the worker will, so bad rows fail here, early."""
    if len(value) > MAX_EVENT_BYTES:
        return Rejected(
            line,
            "too_large",
            f"event is {len(value)} bytes, above the limit of {MAX_EVENT_BYTES}; the dead-letter "
            f"topic keeps its first {DEADLETTER_EXCERPT_BYTES} bytes",
            value[:DEADLETTER_EXCERPT_BYTES],
        )
    if topic == "logins":
        event: LoginEvent | InteractionEvent | Rejection = decoder.decode_login(value)
    else:
        event = decoder.decode_interaction(value)
    if isinstance(event, Rejection):
        return Rejected(line, event.reason.value, event.detail, value)
    return Outgoing(topic, event.user_id.encode(), value, line)


def canonical_value(fields: dict[str, object]) -> bytes:
    return orjson.dumps({key: value for key, value in fields.items() if value is not None})
