"""Replay the CERT r4.2 January 2010 logons and e-mails through the real broker and worker."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.integration.harness import SHARED_DATA, Deployment, sample, wait_for

pytestmark = pytest.mark.integration

LOGON = SHARED_DATA / "cert-r4.2" / "logon_2010-01.csv"
EMAIL = SHARED_DATA / "cert-r4.2" / "email_sent_2010-01.csv.gz"
CERT_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"
AS_OF = date(2010, 1, 31)
WINDOWS = {"1d": 1, "7d": 7, "30d": 30, "365d": 365}


def expected_report(as_of: date) -> dict:
    """Compute the report straight from the raw files: Logon rows are logins, every e-mail a message."""
    connection = duckdb.connect()
    connection.execute(
        f"""
        CREATE TABLE events AS
        SELECT "user" AS user_id, strptime(date, '{CERT_TIME_FORMAT}')::DATE AS day, true AS is_login
        FROM read_csv('{LOGON}', all_varchar = true) WHERE activity = 'Logon'
        UNION ALL
        SELECT "user", strptime(date, '{CERT_TIME_FORMAT}')::DATE, false
        FROM read_csv('{EMAIL}', all_varchar = true)
        """
    )
    result: dict = {"as_of": as_of.isoformat(), "active_users": {}, "login_active_users": {}}
    result["known_users"] = connection.execute(
        "SELECT count(DISTINCT user_id) FROM events WHERE day <= ?", [as_of]
    ).fetchone()[0]
    for label, days in WINDOWS.items():
        active, login_active = connection.execute(
            """
            SELECT count(DISTINCT user_id), count(DISTINCT user_id) FILTER (WHERE is_login)
            FROM events WHERE day > ?::DATE - ?::INTEGER AND day <= ?
            """,
            [as_of, days, as_of],
        ).fetchone()
        result["active_users"][label] = active
        result["login_active_users"][label] = login_active
    result["_events"] = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    result["_newest_day"] = connection.execute("SELECT max(day) FROM events").fetchone()[0]
    return result


@pytest.fixture(scope="module")
def cert_files() -> None:
    if not LOGON.exists() or not EMAIL.exists():
        pytest.skip(f"CERT r4.2 sample files not found under {SHARED_DATA}; they ship beside the project in CI")


def test_cert_replay_matches_raw_files(cert_files: None, kafka_bootstrap: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka_bootstrap, tmp_path / "data", "cert-replay")
    expected = expected_report(AS_OF)
    worker = deployment.start_worker("--clock", "replay", "--flush-interval", "1")
    try:
        logons = deployment.cli(
            "ingest", str(LOGON), "--topic", "logins",
            "--user-column", "user", "--time-column", "date", "--time-format", CERT_TIME_FORMAT,
            "--keep", "activity=Logon",
        )  # fmt: skip
        assert logons.returncode == 0, logons.stderr
        mails = deployment.cli(
            "ingest", str(EMAIL), "--topic", "interactions", "--kind", "message", "--app", "mail",
            "--user-column", "user", "--time-column", "date", "--time-format", CERT_TIME_FORMAT,
        )  # fmt: skip
        assert mails.returncode == 0, mails.stderr
        assert "rejected 0" in logons.stdout
        assert "rejected 0" in mails.stdout

        worker.wait_processed(expected["_events"])
        metrics = worker.metrics()
        assert sample(metrics, "socialitica_events_rejected_total", reason="invalid_timestamp") == 0
        for label in WINDOWS:
            if expected["_newest_day"] == AS_OF:
                assert sample(metrics, "socialitica_active_users", window=label) == expected["active_users"][label]
        assert sample(metrics, "socialitica_known_users") == expected["known_users"]

        # Reports while the worker runs and flushes must not hit a DuckDB lock. The worker
        # flushes every second, so the warehouse reaches every user within a few reports.
        def live_report() -> subprocess.CompletedProcess[str]:
            result = deployment.cli("report", "--as-of", AS_OF.isoformat(), "--format", "json")
            assert result.returncode == 0, result.stderr
            return result

        assert sample(metrics, "socialitica_last_flush_success_timestamp_seconds") > 0
        wait_for(
            lambda: json.loads(live_report().stdout)["known_users"] == expected["known_users"],
            60,
            "the warehouse to contain every user",
        )
        live = live_report()
    finally:
        assert worker.stop() == 0, worker.log_tail()

    report = json.loads(live.stdout)
    assert report["as_of"] == expected["as_of"]
    assert report["known_users"] == expected["known_users"]
    for label in WINDOWS:
        assert report["active_users"][label] == expected["active_users"][label], label
        assert report["login_active_users"][label] == expected["login_active_users"][label], label

    final = deployment.cli("report", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert json.loads(final.stdout) == report
