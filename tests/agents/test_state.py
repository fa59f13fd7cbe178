from agents.state import LOGIN_FAILURE, LOGIN_SUCCESS, UserState, apply_event, is_applied, prune_days
from pipeline.events import InteractionEvent, LoginEvent

DAY = 734_000


def login(timestamp: float, outcome: str = "success") -> LoginEvent:
    return LoginEvent("e", "ana", timestamp, outcome)


def like(timestamp: float) -> InteractionEvent:
    return InteractionEvent("e", "ana", timestamp, "like", "blogs")


def test_out_of_order_events_take_maximum() -> None:
    state = apply_event(None, login(200.0), DAY, 0, 0)
    state = apply_event(state, login(100.0), DAY, 0, 1)
    assert state.last_login == 200.0
    assert state.first_seen == 100.0
    assert state.last_activity == 200.0


def test_failed_login_is_not_activity() -> None:
    state = apply_event(None, login(100.0, "failure"), DAY, 0, 0)
    assert state.last_failed_login == 100.0
    assert state.last_activity is None
    assert state.last_login is None
    assert state.days[DAY].counts == {LOGIN_FAILURE: 1}


def test_interaction_updates_kind_and_activity() -> None:
    state = apply_event(None, login(100.0), DAY, 0, 0)
    state = apply_event(state, like(300.0), DAY, 1, 0)
    assert state.last_interaction == 300.0
    assert state.last_by_kind == {"like": 300.0}
    assert state.last_activity == 300.0
    assert state.days[DAY].counts == {LOGIN_SUCCESS: 1, "like": 1}


def test_offsets_mark_redelivery() -> None:
    state = apply_event(None, login(100.0), DAY, 0, 7)
    assert is_applied(state, 0, 7)
    assert is_applied(state, 0, 3)
    assert not is_applied(state, 0, 8)
    assert not is_applied(state, 1, 0)
    assert not is_applied(None, 0, 0)


def test_state_round_trips_through_bytes() -> None:
    state = apply_event(None, login(100.0), DAY, 0, 4)
    state = apply_event(state, like(150.0), DAY + 1, 1, 9)
    assert UserState.from_bytes(state.to_bytes()) == state


def test_state_stays_small() -> None:
    state = None
    for day in range(30):
        state = apply_event(state, like(86400.0 * day), DAY + day, 1, day)
        prune_days(state, DAY + day, (-1, day))
    assert state is not None
    assert len(state.days) <= 2
    assert len(state.to_bytes()) < 1024


def test_prune_keeps_unflushed_days() -> None:
    state = apply_event(None, like(0.0), DAY, 1, 5)
    state = apply_event(state, like(864000.0), DAY + 10, 1, 6)
    prune_days(state, DAY + 10, (-1, 4))
    assert DAY in state.days
    prune_days(state, DAY + 10, (-1, 5))
    assert DAY not in state.days
    assert DAY + 10 in state.days


def test_reopened_day_gets_new_segment() -> None:
    state = apply_event(None, like(0.0), DAY, 1, 5)
    first_segment = state.days[DAY].segment
    state = apply_event(state, like(864000.0), DAY + 10, 1, 6)
    prune_days(state, DAY + 10, (-1, 6))
    state = apply_event(state, like(10.0), DAY, 1, 7)
    assert state.days[DAY].segment != first_segment
    assert state.days[DAY].counts == {"like": 1}
