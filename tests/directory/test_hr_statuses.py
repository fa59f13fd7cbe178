"""Statuses and breakdowns: leave, new hires, non-person accounts, leavers and unknown users."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.directory.records import Absence
from pipeline.exports.inactive import build_inactive_export
from sinks.hr import (
    DirectoryLoad,
    compute_statuses,
    connect_hr,
    group_breakdown,
    store_absences,
    store_directory_loads,
)
from tests.directory.hr_support import person, write_activity

AS_OF = dt.date(2024, 3, 31)
JAN = dt.date(2024, 1, 1)
MAR = dt.date(2024, 3, 1)
LONG_AGO = dt.date(2024, 1, 15)


def day(month: int, number: int) -> dt.date:
    return dt.date(2024, month, number)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small company as of 2024-03-31 with one case per status."""
    tmp_path = tmp_path_factory.mktemp("company")
    staff = [
        person("active1"),
        person("idle1"),
        person("never1"),
        person("leave_now"),  # absence covering the as-of day
        person("leave_half"),  # absent 16 of the last 30 days
        person("leave_overlap"),  # overlapping absences covering 12 distinct days
        person("new_hire", employment_start=day(3, 25)),
        person("hired_14_days_ago", employment_start=day(3, 17)),
        person("svc-sync", account_type="service"),
        person("bot1", account_type="bot"),
        person("guest1", account_type="guest"),
        person("off1", enabled=False),
    ]
    leaver = person("leaver1")
    store_directory_loads(
        tmp_path,
        [
            DirectoryLoad(staff + [leaver], JAN, True, "january"),
            DirectoryLoad(staff, MAR, True, "march"),
        ],
    )
    write_activity(
        tmp_path,
        [
            ("active1", day(3, 30), "post", 2),
            ("idle1", LONG_AGO, "login_success", 1),
            ("idle1", day(3, 30), "login_failure", 3),  # failed logins are not activity
            ("leave_now", LONG_AGO, "comment", 1),
            ("leave_half", LONG_AGO, "comment", 1),
            ("leave_overlap", LONG_AGO, "comment", 1),
            ("svc-sync", LONG_AGO, "upload", 9),
            ("bot1", LONG_AGO, "post", 9),
            ("guest1", LONG_AGO, "view", 1),
            ("off1", LONG_AGO, "view", 1),
            ("leaver1", LONG_AGO, "post", 1),
            ("leaver1", day(3, 20), "message", 4),  # still active after leaving on 1 March
            ("ghost", day(3, 29), "like", 1),  # never in the directory
            ("active1", day(4, 2), "post", 1),  # after the as-of day: ignored
        ],
    )
    store_absences(
        tmp_path,
        [
            Absence("leave_now", day(3, 20), day(4, 5), "vacation"),
            Absence("leave_half", day(3, 1), day(3, 16), "sick"),
            Absence("leave_overlap", day(3, 1), day(3, 10), "other"),
            Absence("leave_overlap", day(3, 5), day(3, 12), "other"),
            Absence("new_hire", day(3, 25), day(4, 10), "parental"),
        ],
    )
    return tmp_path


def statuses(warehouse: Path, **options) -> dict[tuple[str, str], str]:
    con = connect_hr(warehouse)
    rows = compute_statuses(con, AS_OF, **options).fetchall()
    columns = con.table("hr_user_status").columns
    found = {}
    for row in rows:
        record = dict(zip(columns, row))
        found[(record["user_id"], record["window_label"])] = record["status"]
    return found


def test_status_per_case(warehouse: Path) -> None:
    found = statuses(warehouse)

    assert found[("active1", "1d")] == "inactive"
    assert found[("active1", "7d")] == "active"
    assert found[("idle1", "30d")] == "inactive"
    assert found[("idle1", "365d")] == "active"
    assert found[("never1", "365d")] == "never_active"
    assert found[("leave_now", "30d")] == "excused"
    assert found[("leave_half", "30d")] == "excused"
    assert found[("leave_half", "7d")] == "inactive"
    assert found[("leave_overlap", "30d")] == "inactive"
    assert found[("new_hire", "30d")] == "onboarding"
    assert found[("hired_14_days_ago", "30d")] == "never_active"
    assert found[("svc-sync", "30d")] == "excluded"
    assert found[("bot1", "30d")] == "excluded"
    assert found[("guest1", "30d")] == "excluded"
    assert found[("off1", "30d")] == "disabled"
    assert found[("leaver1", "30d")] == "disabled"
    assert found[("ghost", "7d")] == "unknown"
    assert ("ghost", "1d") not in found


def test_excuse_threshold_is_a_parameter(warehouse: Path) -> None:
    found = statuses(warehouse, excuse_threshold=0.6)

    assert found[("leave_half", "30d")] == "inactive"
    assert found[("leave_now", "30d")] == "excused"


def test_grace_period_is_a_parameter(warehouse: Path) -> None:
    found = statuses(warehouse, grace_days=15)

    assert found[("hired_14_days_ago", "30d")] == "onboarding"


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_people_on_leave_never_inactive(warehouse: Path, days: int) -> None:
    listed = _exported_ids(warehouse, days)

    assert "leave_now" not in listed
    if days == 30:
        assert "leave_half" not in listed


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_new_hires_never_inactive(warehouse: Path, days: int) -> None:
    assert "new_hire" not in _exported_ids(warehouse, days)


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_non_person_accounts_never_inactive(warehouse: Path, days: int) -> None:
    listed = _exported_ids(warehouse, days)

    assert "svc-sync" not in listed
    assert "bot1" not in listed
    assert "guest1" not in listed


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_leavers_never_inactive(warehouse: Path, days: int) -> None:
    listed = _exported_ids(warehouse, days)

    assert "leaver1" not in listed
    assert "off1" not in listed


def test_export_lists_inactive_and_never_active(warehouse: Path) -> None:
    assert _exported_ids(warehouse, 30) == {"idle1", "never1", "leave_overlap", "hired_14_days_ago"}


def test_breakdown_population_and_outside_groups(warehouse: Path) -> None:
    con = connect_hr(warehouse)
    compute_statuses(con, AS_OF)
    counts = {(c.group, c.window): c for c in group_breakdown(con, "department", AS_OF)}

    sales = counts[("Sales", "30d")]
    assert (sales.population, sales.active, sales.inactive, sales.never_active) == (5, 1, 2, 2)
    assert (sales.excused, sales.onboarding) == (2, 1)
    assert sales.population == sales.active + sales.inactive + sales.never_active
    assert sales.active_rate == pytest.approx(0.2)
    # The leaver's activity after leaving counts under "former", outside any population.
    assert (counts[("former", "30d")].population, counts[("former", "30d")].active) == (0, 1)
    assert ("former", "7d") not in counts
    assert (counts[("unknown", "7d")].population, counts[("unknown", "7d")].active) == (0, 1)


def test_breakdown_rejects_unknown_dimension(warehouse: Path) -> None:
    con = connect_hr(warehouse)
    compute_statuses(con, AS_OF)

    with pytest.raises(ValueError, match="unknown breakdown dimension 'salary'"):
        group_breakdown(con, "salary", AS_OF)


def test_manager_subtree_survives_cycle(tmp_path: Path) -> None:
    store_directory_loads(
        tmp_path,
        [
            DirectoryLoad(
                [
                    person("ceo"),
                    person("head", manager_id="ceo"),
                    person("worker", manager_id="head"),
                    person("x", manager_id="y"),
                    person("y", manager_id="x"),
                ],
                JAN,
                True,
                "org",
            )
        ],
    )
    write_activity(tmp_path, [("worker", day(3, 30), "post", 1)])
    con = connect_hr(tmp_path)
    compute_statuses(con, AS_OF, windows=(7,))

    subtree = {c.group: (c.population, c.active) for c in group_breakdown(con, "manager_subtree", AS_OF)}
    direct = {c.group: (c.population, c.active) for c in group_breakdown(con, "manager", AS_OF)}

    assert subtree == {"ceo": (2, 1), "head": (1, 1), "x": (1, 0), "y": (1, 0)}
    assert direct == {"ceo": (1, 0), "head": (1, 1), "x": (1, 0), "y": (1, 0), "unassigned": (1, 0)}


def test_history_attributes_group_as_of_day(tmp_path: Path) -> None:
    store_directory_loads(
        tmp_path,
        [
            DirectoryLoad([person("ana", department="Sales")], JAN, True, "january"),
            DirectoryLoad([person("ana", department="Legal")], MAR, True, "march"),
        ],
    )
    write_activity(tmp_path, [("ana", day(2, 10), "post", 1)])
    con = connect_hr(tmp_path)

    compute_statuses(con, day(2, 15), windows=(7,))
    february = {c.group: c.active for c in group_breakdown(con, "department", day(2, 15))}
    compute_statuses(con, day(3, 15), windows=(7,))
    march = {c.group: (c.active, c.inactive) for c in group_breakdown(con, "department", day(3, 15))}

    assert february == {"Sales": 1}
    assert march == {"Legal": (0, 1)}


def _exported_ids(warehouse: Path, days: int) -> set[str]:
    con = connect_hr(warehouse)
    return {row.user_id for row in build_inactive_export(con, AS_OF, days).rows}
