"""Result types, the registry, and the entry points for records, message bytes and files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.adapters import (
    AliasMap,
    InteractionEvent,
    LoginEvent,
    Mapped,
    Rejected,
    RejectReason,
    UnknownFormatError,
    adapt_bytes,
    adapt_file,
    adapt_record,
    format_names,
    get_adapter,
)

from .samples import read_sample_line


def test_format_names() -> None:
    assert format_names() == (
        "m365",
        "entra-signin",
        "okta",
        "google-workspace",
        "slack",
        "mattermost",
    )
    for name in format_names():
        assert get_adapter(name).name == name


def test_unknown_format_lists_valid_names() -> None:
    with pytest.raises(UnknownFormatError, match="expected one of: m365, entra-signin"):
        get_adapter("splunk")


def test_login_to_dict_omits_missing_client() -> None:
    event = LoginEvent("e1", "u1", "2024-01-01T00:00:00+00:00", "failure")
    assert event.topic == "logins"
    assert event.to_dict() == {
        "event_id": "e1",
        "user_id": "u1",
        "timestamp": "2024-01-01T00:00:00+00:00",
        "outcome": "failure",
    }


def test_interaction_to_dict_keeps_given_optionals() -> None:
    event = InteractionEvent(
        "e1", "u1", "2024-01-01T00:00:00+00:00", "post", "yammer", community_id="g1"
    )
    assert event.topic == "interactions"
    assert event.to_dict() == {
        "event_id": "e1",
        "user_id": "u1",
        "timestamp": "2024-01-01T00:00:00+00:00",
        "kind": "post",
        "app": "yammer",
        "community_id": "g1",
    }


@pytest.mark.parametrize(("kind", "app"), [("posted", "yammer"), ("post", "Yammer"), ("post", "")])
def test_interaction_rejects_invalid_kind_or_app(kind: str, app: str) -> None:
    with pytest.raises(ValueError):
        InteractionEvent("e1", "u1", "2024-01-01T00:00:00+00:00", kind, app)


def test_events_are_frozen() -> None:
    event = LoginEvent("e1", "u1", "2024-01-01T00:00:00+00:00", "success")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.user_id = "u2"  # type: ignore[misc]


def test_mapped_needs_events() -> None:
    with pytest.raises(ValueError):
        Mapped(())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", RejectReason.INVALID_JSON),
        (b"", RejectReason.INVALID_JSON),
        (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
        (b"null", RejectReason.NOT_AN_OBJECT),
    ],
)
def test_adapt_bytes_rejects_non_objects(raw: bytes, reason: RejectReason) -> None:
    result = adapt_bytes(get_adapter("slack"), raw)
    assert isinstance(result, Rejected)
    assert result.reason == reason


def test_adapt_bytes_maps_sample_line() -> None:
    result = adapt_bytes(get_adapter("slack"), read_sample_line("slack_audit__test-audit.log", 1))
    assert isinstance(result, Mapped)
    assert result.events[0].user_id == "bird@slack.com"


def test_adapt_file_continues_after_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "slack.log"
    path.write_bytes(
        read_sample_line("slack_audit__test-audit.log", 1)
        + b"\n{broken\n[1]\n"
        + read_sample_line("slack_audit__test-audit.log", 3)
        + b"\n"
    )

    results = list(adapt_file(get_adapter("slack"), path))

    assert [record.position for record, _ in results] == [1, 2, 3, 4]
    assert isinstance(results[0][1], Mapped)
    assert isinstance(results[1][1], Rejected)
    assert results[1][1].reason == RejectReason.INVALID_JSON
    assert isinstance(results[2][1], Rejected)
    assert results[2][1].reason == RejectReason.NOT_AN_OBJECT
    assert isinstance(results[3][1], Mapped)


def test_adapt_record_resolves_target_user() -> None:
    class TargetAdapter:
        name = "target"

        def matches(self, record: object) -> bool:
            return True

        def adapt(self, record: object) -> Mapped:
            event = InteractionEvent(
                "e1", "alice@example.com", "2024-01-01T00:00:00+00:00", "mention", "chat",
                target_user_id="bob@example.com",
            )  # fmt: skip
            return Mapped((event,))

    aliases = AliasMap.from_dict({"alice@example.com": "E1", "bob@example.com": "E2"})

    result = adapt_record(TargetAdapter(), {}, aliases)

    assert isinstance(result, Mapped)
    (event,) = result.events
    assert isinstance(event, InteractionEvent)
    assert (event.user_id, event.target_user_id) == ("E1", "E2")
