"""CERT r4.2 replay: statuses from the warehouse against counts taken directly from the raw files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sinks.hr import compute_statuses, connect_hr, group_breakdown

AS_OF_DATES = [dt.date(2010, 6, 30), dt.date(2011, 3, 31)]
LEAVERS = ("CYA0506", "RRC0553")


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
@pytest.mark.parametrize("days", [1, 7, 30])
def test_department_counts_match_raw_files(cert_warehouse: Path, cert_raw, as_of: dt.date, days: int) -> None:
    con = connect_hr(cert_warehouse)
    compute_statuses(con, as_of, windows=(days,))
    product = {
        c.group: {"population": c.population, "active": c.active, "inactive": c.inactive, "never_active": c.never_active}
        for c in group_breakdown(con, "department", as_of)
    }
    expected = {group: counts for group, counts in cert_raw.counts(as_of, days).items() if counts["active"] or counts["population"]}

    assert sorted(product) == sorted(expected)
    for group, counts in expected.items():
        assert product[group] == counts, group


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_leavers_are_disabled(cert_warehouse: Path, as_of: dt.date) -> None:
    con = connect_hr(cert_warehouse)
    compute_statuses(con, as_of, windows=(7, 30, 365))
    rows = con.execute(
        "SELECT user_id, window_label, status FROM hr_user_status WHERE list_contains($ids, user_id)",
        {"ids": list(LEAVERS)},
    ).fetchall()

    assert len(rows) == len(LEAVERS) * 3
    assert {status for _, _, status in rows} == {"disabled"}


def test_leaver_mail_after_leaving_counts_as_former(cert_warehouse: Path, cert_raw) -> None:
    # CYA0506 left on 2010-05-01 but sent e-mail until 2010-06-01.
    con = connect_hr(cert_warehouse)
    compute_statuses(con, dt.date(2010, 6, 1), windows=(1,))
    status = con.execute(
        "SELECT status, active_in_window FROM hr_user_status WHERE user_id = 'CYA0506'"
    ).fetchone()
    former = [c for c in group_breakdown(con, "department", dt.date(2010, 6, 1)) if c.group == "former"]

    assert status == ("disabled", True)
    assert len(former) == 1
    assert former[0].population == 0
    assert former[0].active == cert_raw.counts(dt.date(2010, 6, 1), 1)["former"]["active"]
    assert former[0].active >= 1
