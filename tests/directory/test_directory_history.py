"""SCD type 2 directory history built from snapshot and partial loads."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipeline.directory.errors import SnapshotError
from sinks.hr import DirectoryLoad, HrPaths, store_directory_loads
from tests.directory.hr_support import CERT_LDAP_DIR, load_cert_snapshots, person, require

JAN = dt.date(2024, 1, 1)
FEB = dt.date(2024, 2, 1)
MAR = dt.date(2024, 3, 1)
APR = dt.date(2024, 4, 1)


def history(warehouse: Path) -> list[tuple]:
    """Return (user_id, valid_from, valid_to, department, enabled, in_directory) rows."""
    with duckdb.connect() as con:
        return con.execute(
            "SELECT user_id, valid_from, valid_to, department, enabled, in_directory "
            "FROM read_parquet($path) ORDER BY user_id, valid_from",
            {"path": str(HrPaths(warehouse).history_file)},
        ).fetchall()


def snapshot(day: dt.date, *profiles) -> DirectoryLoad:
    return DirectoryLoad(list(profiles), day, True, f"snapshot {day}")


def test_history_change_leaver_and_rehire(tmp_path: Path) -> None:
    ana, luis = person("ana"), person("luis")
    store_directory_loads(
        tmp_path,
        [
            snapshot(JAN, ana, luis),
            snapshot(FEB, replace(ana, department="Finance"), luis),
            snapshot(MAR, replace(ana, department="Finance")),
            snapshot(APR, replace(ana, department="Finance"), luis),
        ],
    )

    assert history(tmp_path) == [
        ("ana", JAN, FEB, "Sales", True, True),
        ("ana", FEB, None, "Finance", True, True),
        ("luis", JAN, MAR, "Sales", True, True),
        ("luis", MAR, APR, "Sales", False, False),
        ("luis", APR, None, "Sales", True, True),
    ]


def test_history_unchanged_snapshots_add_no_rows(tmp_path: Path) -> None:
    ana = person("ana")

    store_directory_loads(tmp_path, [snapshot(JAN, ana), snapshot(FEB, ana), snapshot(MAR, ana)])

    assert history(tmp_path) == [("ana", JAN, None, "Sales", True, True)]


def test_history_partial_load_keeps_others(tmp_path: Path) -> None:
    store_directory_loads(tmp_path, [snapshot(JAN, person("ana"), person("luis"))])
    store_directory_loads(tmp_path, [DirectoryLoad([person("luis", team="South")], FEB, False, "update")])

    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT user_id, valid_from, team, enabled FROM read_parquet($p) ORDER BY ALL",
            {"p": str(HrPaths(tmp_path).history_file)},
        ).fetchall()
    assert rows == [("ana", JAN, "North", True), ("luis", JAN, "North", True), ("luis", FEB, "South", True)]


def test_history_accepts_loads_out_of_order(tmp_path: Path) -> None:
    ana, luis = person("ana"), person("luis")
    store_directory_loads(tmp_path, [snapshot(MAR, ana)])
    store_directory_loads(tmp_path, [snapshot(JAN, ana, luis)])

    assert history(tmp_path) == [
        ("ana", JAN, None, "Sales", True, True),
        ("luis", JAN, MAR, "Sales", True, True),
        ("luis", MAR, None, "Sales", False, False),
    ]


def test_history_reload_same_date_wins(tmp_path: Path) -> None:
    store_directory_loads(tmp_path, [snapshot(JAN, person("ana"), person("luis"))])
    store_directory_loads(tmp_path, [snapshot(JAN, person("ana", department="Legal"), person("luis"))])

    assert history(tmp_path) == [
        ("ana", JAN, None, "Legal", True, True),
        ("luis", JAN, None, "Sales", True, True),
    ]


def test_history_rejects_empty_snapshot(tmp_path: Path) -> None:
    store_directory_loads(tmp_path, [snapshot(JAN, person("ana"))])

    with pytest.raises(SnapshotError, match="lists no users"):
        store_directory_loads(tmp_path, [snapshot(FEB)])
    assert history(tmp_path) == [("ana", JAN, None, "Sales", True, True)]


def test_history_of_cert_snapshots(tmp_path: Path) -> None:
    require(CERT_LDAP_DIR)
    started = time.perf_counter()
    load_cert_snapshots(tmp_path)
    elapsed = time.perf_counter() - started

    rows = history(tmp_path)
    by_user: dict[str, list[tuple]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)

    assert len(by_user) == 1000
    # 155 leavers get a second row each; CERT r4.2 has no other changes.
    assert len(rows) == 1155
    assert by_user["CYA0506"][-1][1:] == (dt.date(2010, 5, 1), None, "3 - FieldService", False, False)
    assert by_user["RRC0553"][-1][1:] == (dt.date(2010, 3, 1), None, "1 - Research", False, False)
    # Loading the 18 files and rebuilding the history took about a second on two cores.
    # The bound leaves room for a slow CI machine.
    assert elapsed < 20
