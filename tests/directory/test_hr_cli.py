"""The directory load and absences load commands, and the `report --by` document."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
from click.testing import CliRunner

from pipeline.cli.hr import absences, build_report_by, directory, format_report_by, open_reporting_connection
from tests.directory.hr_support import CERT_LDAP_DIR, require, write_activity


def test_directory_load_cert_snapshots(tmp_path: Path) -> None:
    files = sorted(str(p) for p in require(CERT_LDAP_DIR).glob("*.csv"))

    result = CliRunner().invoke(
        directory, ["load", "--snapshot", "--effective-from-name", "--data-dir", str(tmp_path), *files]
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2009-12-01: 1000 users listed, 1000 new, 0 changed, 0 left"
    assert lines[-2] == "2011-05-01: 845 users listed, 0 new, 0 changed, 1 left"
    assert lines[-1].startswith("not published to socialitica.directory: no broker")
    assert (tmp_path / "warehouse" / "directory" / "history.parquet").exists()


def test_directory_load_reports_problems(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text('{"user_id": "ana", "enabled": "maybe"}\n{"display_name": "no id"}\n', encoding="utf-8")
    problems = tmp_path / "problems.csv"

    result = CliRunner().invoke(
        directory,
        ["load", "--effective", "2024-01-01", "--problems-csv", str(problems), "--data-dir", str(tmp_path), str(source)],
    )

    assert result.exit_code == 0, result.output
    assert "invalid boolean" in result.output
    assert problems.read_text(encoding="utf-8-sig").splitlines()[0] == "file,line,value,reason"
    assert len(problems.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_directory_load_fail_on_problems_stores_nothing(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text('{"display_name": "no id"}\n', encoding="utf-8")

    result = CliRunner().invoke(
        directory,
        ["load", "--effective", "2024-01-01", "--fail-on-problems", "--data-dir", str(tmp_path), str(source)],
    )

    assert result.exit_code == 1
    assert "nothing was stored" in result.output
    assert not (tmp_path / "warehouse" / "directory" / "history.parquet").exists()


def test_directory_load_needs_effective_date(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text('{"user_id": "ana"}\n', encoding="utf-8")

    result = CliRunner().invoke(directory, ["load", "--data-dir", str(tmp_path), str(source)])

    assert result.exit_code == 2
    assert "--effective" in result.output


def test_absences_load_and_replace(tmp_path: Path) -> None:
    first = tmp_path / "absences.csv"
    first.write_text("user_id,start,end,reason\nana,2024-03-01,2024-03-05,vacation\n", encoding="utf-8")
    second = tmp_path / "absences.jsonl"
    second.write_text('{"user_id": "luis", "start": "2024-03-02", "end": "2024-03-03", "reason": "sick"}\n')
    runner = CliRunner()

    added = runner.invoke(absences, ["load", "--data-dir", str(tmp_path), str(first), str(second)])
    again = runner.invoke(absences, ["load", "--data-dir", str(tmp_path), str(first)])
    replaced = runner.invoke(absences, ["load", "--replace", "--data-dir", str(tmp_path), str(second)])

    assert added.output.splitlines()[0] == "2 absence(s) read, 2 stored in total"
    assert again.output.splitlines()[0] == "1 absence(s) read, 2 stored in total"
    assert replaced.output.splitlines()[0] == "1 absence(s) read, 1 stored in total"
    assert added.output.splitlines()[1].startswith("not published to socialitica.absences: no broker")


def test_report_by_document(tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text(
        '{"user_id": "ana", "department": "Ventas"}\n{"user_id": "luis", "department": "Ventas"}\n',
        encoding="utf-8",
    )
    CliRunner().invoke(
        directory, ["load", "--snapshot", "--effective", "2024-01-01", "--data-dir", str(tmp_path), str(source)]
    )
    write_activity(tmp_path / "warehouse", [("ana", dt.date(2024, 3, 30), "post", 1), ("zoe", dt.date(2024, 3, 30), "like", 1)])
    con = open_reporting_connection(tmp_path)

    report = build_report_by(con, tmp_path / "warehouse", "department", dt.date(2024, 3, 31), windows=(7,))
    decoded = orjson.loads(format_report_by(report, "json"))

    assert decoded == {
        "as_of": "2024-03-31",
        "by": "department",
        "groups": [
            {"group": "Ventas", "window": "7d", "population": 2, "active": 1, "inactive": 0,
             "never_active": 1, "excused": 0, "onboarding": 0},
            {"group": "unknown", "window": "7d", "population": 0, "active": 1, "inactive": 0,
             "never_active": 0, "excused": 0, "onboarding": 0},
        ],
    }
    assert "Ventas" in format_report_by(report, "text")


def test_report_by_on_worker_views(tmp_path: Path) -> None:
    from sinks.warehouse import Warehouse

    Warehouse(tmp_path, "UTC").prepare()
    source = tmp_path / "people.jsonl"
    source.write_text('{"user_id": "ana", "team": "Norte"}\n{"user_id": "luis", "team": "Sur"}\n', encoding="utf-8")
    CliRunner().invoke(
        directory, ["load", "--snapshot", "--effective", "2024-01-01", "--data-dir", str(tmp_path), str(source)]
    )
    write_activity(tmp_path / "warehouse", [("luis", dt.date(2024, 1, 10), "login_success", 1)])
    con = open_reporting_connection(tmp_path, "UTC")

    report = build_report_by(con, tmp_path / "warehouse", "team", dt.date(2024, 3, 31), windows=(30, 365))
    counts = {(g["group"], g["window"]): (g["active"], g["inactive"], g["never_active"]) for g in report["groups"]}

    # The worker's database is opened read-only, and its user_days view is used as is.
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'user_days' AND NOT temporary").fetchone() == (1,)
    assert counts == {
        ("Norte", "30d"): (0, 0, 1),
        ("Sur", "30d"): (0, 1, 0),
        ("Norte", "365d"): (0, 0, 1),
        ("Sur", "365d"): (1, 0, 0),
    }
