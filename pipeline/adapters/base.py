"""Result types shared by every adapter and the `Adapter` protocol they implement.

An adapter turns one parsed audit-log record into exactly one `AdapterResult`:

* `Mapped`: one or more canonical events, each bound for the `logins` or the
  `interactions` topic;
* `Ignored`: the record is valid but is not a user action that the analytics count
  (a system event, an admin change, a logout, an authentication step);
* `Rejected`: the record should be a user action but cannot be mapped (no user id,
  an unreadable time, an unknown outcome). Callers send it to the dead-letter topic.

Every type here is a frozen dataclass, so results can be shared between threads and
compared in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeAlias

from pipeline.events import INTERACTION_KINDS
from pipeline.events import RejectReason as RejectReason

JsonObject: TypeAlias = Mapping[str, Any]
"""A parsed JSON object, as `orjson.loads` returns it."""

Topic: TypeAlias = Literal["logins", "interactions"]
Outcome: TypeAlias = Literal["success", "failure"]


class IgnoreReason(StrEnum):
    """Machine codes for `Ignored.reason`, suitable as a bounded metric label."""

    NOT_A_USER = "not_a_user"
    ADMIN_ACTION = "admin_action"
    SYSTEM_EVENT = "system_event"
    SECURITY_ALERT = "security_alert"
    AUTHENTICATION_STEP = "authentication_step"
    LOGOUT = "logout"
    NOT_MAPPED = "not_mapped"


@dataclass(frozen=True, slots=True)
class LoginEvent:
    """A canonical login: one authentication attempt of one user."""

    event_id: str
    user_id: str
    timestamp: str
    outcome: Outcome
    client: str | None = None

    @property
    def topic(self) -> Topic:
        return "logins"

    def to_dict(self) -> dict[str, str]:
        """Return the canonical JSON object, without the optional fields that are None."""
        value = {
            "event_id": self.event_id,
            "user_id": self.user_id,
            "timestamp": self.timestamp,
            "outcome": self.outcome,
        }
        if self.client is not None:
            value["client"] = self.client
        return value


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """A canonical interaction: one user action of `kind` in `app`."""

    event_id: str
    user_id: str
    timestamp: str
    kind: str
    app: str
    content_id: str | None = None
    community_id: str | None = None
    target_user_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in INTERACTION_KINDS:
            raise ValueError(
                f"invalid interaction kind {self.kind!r}, "
                f"expected one of {sorted(INTERACTION_KINDS)}"
            )
        if not self.app or self.app != self.app.lower():
            raise ValueError(f"invalid app {self.app!r}, expected a non-empty lower-case name")

    @property
    def topic(self) -> Topic:
        return "interactions"

    def to_dict(self) -> dict[str, str]:
        """Return the canonical JSON object, without the optional fields that are None."""
        value = {
            "event_id": self.event_id,
            "user_id": self.user_id,
            "timestamp": self.timestamp,
            "kind": self.kind,
            "app": self.app,
        }
        optional = {
            "content_id": self.content_id,
            "community_id": self.community_id,
            "target_user_id": self.target_user_id,
        }
        value.update({name: item for name, item in optional.items() if item is not None})
        return value


CanonicalEvent: TypeAlias = LoginEvent | InteractionEvent


@dataclass(frozen=True, slots=True)
class Mapped:
    """A record that produced canonical events. `events` is never empty."""

    events: tuple[CanonicalEvent, ...]

    def __post_init__(self) -> None:
        if not self.events:
            raise ValueError(
                "Mapped needs at least one event, so return Ignored for a record without any"
            )


@dataclass(frozen=True, slots=True)
class Ignored:
    """A valid record that is not a counted user action."""

    reason: IgnoreReason
    detail: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that cannot be mapped. `detail` names the field and what is wrong with it.

    `reason` uses the project's dead-letter codes (`pipeline.events.RejectReason`), so
    adapter rejections and decoder rejections share one `reason` label.
    """

    reason: RejectReason
    detail: str


AdapterResult: TypeAlias = Mapped | Ignored | Rejected


class Adapter(Protocol):
    """Protocol of an adapter from the records of one audit-log format to canonical events.

    Implementations are stateless, so one instance can serve every thread and every
    Faust agent. `adapt` returns `Rejected` for bad input instead of raising. The tests
    check this for every registered adapter by feeding it sample records whose fields
    hold unexpected values.
    """

    @property
    def name(self) -> str:
        """The format name, as given to `socialitica ingest --format`."""
        ...

    def matches(self, record: JsonObject) -> bool:
        """Return whether the record has the field signature of this format."""
        ...

    def adapt(self, record: JsonObject) -> AdapterResult:
        """Map one parsed record to canonical events, or to the reason it is ignored or rejected."""
        ...
