"""Per-user last-seen state kept in the Faust table, and how one event updates it."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from pipeline.events import InteractionEvent, LoginEvent

LOGIN_SUCCESS = "login_success"
LOGIN_FAILURE = "login_failure"

# Day entries newer than this many days before the user's newest event day stay in the state even
# when flushed, so late events for recent days update the same warehouse row.
OPEN_DAYS = 2


@dataclass(slots=True)
class DayCounts:
    """Event counts of one user on one reporting day, since ``segment`` was opened.

    ``segment`` identifies this entry in the warehouse; a day entry that was pruned and later
    reopened by a very late event gets a new segment, and the warehouse adds the segments up.
    ``topic_index`` and ``offset`` (an event position) locate the last event applied, to tell
    flushed entries apart.
    """

    segment: int
    topic_index: int
    offset: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class UserState:
    """Last-seen times (POSIX seconds) of one user, with the event positions per topic already applied."""

    first_seen: float
    last_login: float | None = None
    last_failed_login: float | None = None
    last_activity: float | None = None
    last_interaction: float | None = None
    last_by_kind: dict[str, float] = field(default_factory=dict)
    positions: list[int] = field(default_factory=lambda: [-1, -1])
    days: dict[int, DayCounts] = field(default_factory=dict)

    def copy(self) -> UserState:
        """Return an independent copy, so a flush can read this one while events change the copy."""
        return UserState(
            self.first_seen,
            self.last_login,
            self.last_failed_login,
            self.last_activity,
            self.last_interaction,
            dict(self.last_by_kind),
            list(self.positions),
            {day: DayCounts(c.segment, c.topic_index, c.offset, dict(c.counts)) for day, c in self.days.items()},
        )

    def to_bytes(self) -> bytes:
        days = {str(day): [c.segment, c.topic_index, c.offset, c.counts] for day, c in self.days.items()}
        return orjson.dumps(
            [
                self.first_seen,
                self.last_login,
                self.last_failed_login,
                self.last_activity,
                self.last_interaction,
                self.last_by_kind,
                self.positions,
                days,
            ]
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> UserState:
        first, login, failed, activity, interaction, by_kind, positions, days = orjson.loads(raw)
        return cls(
            first,
            login,
            failed,
            activity,
            interaction,
            by_kind,
            positions,
            {int(day): DayCounts(s, t, o, c) for day, (s, t, o, c) in days.items()},
        )


def index_fields(raw: bytes) -> tuple[float | None, float | None, float | None, list[int]]:
    """Return last_login, last_failed_login, last_activity and positions of a serialised ``UserState``.

    Rebuilding a partition's index reads only these, so it skips building the day entries.
    """
    _, login, failed, activity, _, _, positions, _ = orjson.loads(raw)
    return login, failed, activity, positions


def _later(current: float | None, candidate: float) -> float:
    return candidate if current is None or candidate > current else current


def apply_event(
    state: UserState | None,
    event: LoginEvent | InteractionEvent,
    day: int,
    topic_index: int,
    position: int,
) -> UserState:
    """Fold one accepted event into the state and return it (a new object when ``state`` is None).

    Every time field takes the maximum, so late, out-of-order and repeated events never move a
    user backwards. The caller skips events whose position (see ``pipeline.packing``) the state
    has already applied.
    """
    if state is None:
        state = UserState(first_seen=event.timestamp)
    elif event.timestamp < state.first_seen:
        state.first_seen = event.timestamp

    timestamp = event.timestamp
    if isinstance(event, LoginEvent):
        if event.succeeded:
            action = LOGIN_SUCCESS
            state.last_login = _later(state.last_login, timestamp)
            state.last_activity = _later(state.last_activity, timestamp)
        else:
            action = LOGIN_FAILURE
            state.last_failed_login = _later(state.last_failed_login, timestamp)
    else:
        action = event.kind
        state.last_interaction = _later(state.last_interaction, timestamp)
        state.last_activity = _later(state.last_activity, timestamp)
        state.last_by_kind[action] = _later(state.last_by_kind.get(action), timestamp)

    entry = state.days.get(day)
    if entry is None:
        # Positions are unique within a partition per topic, so this pair names the entry uniquely.
        entry = state.days[day] = DayCounts(segment=position * 2 + topic_index, topic_index=topic_index, offset=position)
    entry.topic_index = topic_index
    entry.offset = position
    entry.counts[action] = entry.counts.get(action, 0) + 1

    state.positions[topic_index] = position
    return state


def is_applied(state: UserState | None, topic_index: int, position: int) -> bool:
    """Tell whether the event at ``position`` was already folded in (a redelivery after a restart)."""
    return state is not None and position <= state.positions[topic_index]


def prune_days(state: UserState, newest_day: int, flushed_offsets: tuple[int, int]) -> None:
    """Drop day entries that are both flushed to the warehouse and older than the open days."""
    oldest_open = newest_day - OPEN_DAYS + 1
    stale = [
        day
        for day, entry in state.days.items()
        if day < oldest_open and entry.offset <= flushed_offsets[entry.topic_index]
    ]
    for day in stale:
        del state.days[day]
