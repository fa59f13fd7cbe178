from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from agents.processor import DayCalendar
from agents.windows import ActivityIndex


def test_calendar_counts_days_in_reporting_zone() -> None:
    calendar = DayCalendar(ZoneInfo("Europe/Madrid"))
    late_evening_utc = datetime(2021, 3, 27, 23, 30, tzinfo=UTC).timestamp()
    assert calendar.day(late_evening_utc) == date(2021, 3, 28).toordinal()
    assert DayCalendar(ZoneInfo("UTC")).day(late_evening_utc) == date(2021, 3, 27).toordinal()


def test_calendar_across_dst_changes() -> None:
    calendar = DayCalendar(ZoneInfo("Europe/Madrid"))
    # After the spring change Madrid is UTC+2: 22:30 UTC is already the next day.
    assert calendar.day(datetime(2021, 3, 28, 22, 30, tzinfo=UTC).timestamp()) == date(2021, 3, 29).toordinal()
    # After the autumn change Madrid is UTC+1: 22:30 UTC is still the same day.
    assert calendar.day(datetime(2021, 10, 31, 22, 30, tzinfo=UTC).timestamp()) == date(2021, 10, 31).toordinal()


def test_calendar_half_hour_zone() -> None:
    calendar = DayCalendar(ZoneInfo("Asia/Kolkata"))
    assert calendar.day(datetime(2021, 5, 1, 18, 29, tzinfo=UTC).timestamp()) == date(2021, 5, 1).toordinal()
    assert calendar.day(datetime(2021, 5, 1, 18, 30, tzinfo=UTC).timestamp()) == date(2021, 5, 2).toordinal()


def test_index_counts_windows() -> None:
    index = ActivityIndex()
    today = 1000
    index.record(0, True, None, today, None, today)
    index.record(0, True, None, today - 6, None, None)
    index.record(1, True, None, today - 7, None, today - 29)
    index.record(1, True, None, None, None, None)
    assert index.known_users() == 4
    assert index.active_users(today, 1) == 1
    assert index.active_users(today, 7) == 2
    assert index.active_users(today, 30) == 3
    assert index.active_users(today, 30, logins_only=True) == 2
    assert index.active_users(today, 7, logins_only=True) == 1


def test_index_moves_user_between_days() -> None:
    index = ActivityIndex()
    index.record(0, True, None, 990, None, None)
    index.record(0, False, 990, 1000, None, None)
    assert index.known_users() == 1
    assert index.active_users(1000, 1) == 1
    assert index.active_users(1010, 10) == 0


def test_dropped_partition_is_not_exported() -> None:
    index = ActivityIndex()
    index.record(0, True, None, 1000, None, None)
    index.record(1, True, None, 1000, None, None)
    index.drop_partition(1)
    assert index.known_users() == 1
    assert index.active_users(1000, 7) == 1
    assert index.partitions == frozenset({0})
