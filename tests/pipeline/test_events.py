from zoneinfo import ZoneInfo

import orjson
import pytest

from pipeline.events import EventDecoder, InteractionEvent, LoginEvent, RejectReason, Rejection

NOW = 1_700_000_000.0


@pytest.fixture
def decoder() -> EventDecoder:
    return EventDecoder(ZoneInfo("UTC"), 300.0, now=lambda: NOW)


def login(**fields: object) -> bytes:
    base: dict[str, object] = {"event_id": "e1", "user_id": "ana", "timestamp": NOW - 60, "outcome": "success"}
    base.update(fields)
    return orjson.dumps({key: value for key, value in base.items() if value is not ...})


def interaction(**fields: object) -> bytes:
    base: dict[str, object] = {
        "event_id": "e2", "user_id": "ana", "timestamp": NOW - 60, "kind": "like", "app": "Blogs",
    }  # fmt: skip
    base.update(fields)
    return orjson.dumps({key: value for key, value in base.items() if value is not ...})


def test_valid_login_decodes(decoder: EventDecoder) -> None:
    event = decoder.decode_login(login(client="web"), b"ana")
    assert isinstance(event, LoginEvent)
    assert event.user_id == "ana"
    assert event.succeeded
    assert event.client == "web"


def test_valid_interaction_lowercases_app(decoder: EventDecoder) -> None:
    event = decoder.decode_interaction(interaction(content_id="b-1"), b"ana")
    assert isinstance(event, InteractionEvent)
    assert event.app == "blogs"
    assert event.content_id == "b-1"


def test_user_id_is_stripped(decoder: EventDecoder) -> None:
    event = decoder.decode_login(login(user_id="  ana "), b"ana")
    assert isinstance(event, LoginEvent)
    assert event.user_id == "ana"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", RejectReason.INVALID_JSON),
        (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
        (login(user_id=...), RejectReason.MISSING_USER_ID),
        (login(user_id="   "), RejectReason.MISSING_USER_ID),
        (login(user_id=42), RejectReason.INVALID_FIELD),
        (login(event_id=...), RejectReason.MISSING_FIELD),
        (login(timestamp=...), RejectReason.MISSING_FIELD),
        (login(timestamp="last tuesday"), RejectReason.INVALID_TIMESTAMP),
        (login(timestamp=NOW + 301), RejectReason.FUTURE_TIMESTAMP),
        (login(outcome="maybe"), RejectReason.UNKNOWN_OUTCOME),
    ],
)
def test_bad_login_rejected(decoder: EventDecoder, raw: bytes, reason: RejectReason) -> None:
    result = decoder.decode_login(raw)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.detail


def test_unknown_kind_rejected(decoder: EventDecoder) -> None:
    result = decoder.decode_interaction(interaction(kind="teleport"))
    assert isinstance(result, Rejection)
    assert result.reason == RejectReason.UNKNOWN_KIND
    assert "teleport" in result.detail


def test_missing_app_rejected(decoder: EventDecoder) -> None:
    result = decoder.decode_interaction(interaction(app=...))
    assert isinstance(result, Rejection)
    assert result.reason == RejectReason.MISSING_FIELD


def test_future_within_tolerance_accepted(decoder: EventDecoder) -> None:
    assert isinstance(decoder.decode_login(login(timestamp=NOW + 299)), LoginEvent)


def test_key_must_match_user(decoder: EventDecoder) -> None:
    result = decoder.decode_login(login(), b"bob")
    assert isinstance(result, Rejection)
    assert result.reason == RejectReason.KEY_MISMATCH
    assert "key=user_id" in result.detail
