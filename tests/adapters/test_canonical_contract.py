"""Every event the adapters produce from the samples passes the canonical event decoder."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.adapters import LoginEvent, Mapped, adapt_file, get_adapter
from pipeline.events import EventDecoder, Rejection
from pipeline.events import InteractionEvent as CanonicalInteraction
from pipeline.events import LoginEvent as CanonicalLogin

from .samples import AUDIT_LOG_FORMATS, format_sample


@pytest.mark.parametrize("file_name", sorted(AUDIT_LOG_FORMATS))
def test_sample_events_pass_decoder(file_name: str) -> None:
    decoder = EventDecoder(source_zone=UTC, future_tolerance_seconds=0.0)
    adapter = get_adapter(AUDIT_LOG_FORMATS[file_name])

    decoded = 0
    for _, result in adapt_file(adapter, format_sample(file_name)):
        if not isinstance(result, Mapped):
            continue
        for event in result.events:
            raw = orjson.dumps(event.to_dict())
            key = event.user_id.encode()
            canonical: CanonicalLogin | CanonicalInteraction | Rejection
            if isinstance(event, LoginEvent):
                canonical = decoder.decode_login(raw, key)
            else:
                canonical = decoder.decode_interaction(raw, key)

            assert not isinstance(canonical, Rejection), (event, canonical)
            assert canonical.event_id == event.event_id
            assert canonical.user_id == event.user_id
            assert canonical.timestamp == datetime.fromisoformat(event.timestamp).timestamp()
            decoded += 1
    assert decoded > 0
