"""CERT r4.2 replay through Kafka: 17 months of e-mail and 18 directory snapshots, end to end.

Counts per department come from `socialitica report --by department` over the warehouse the
worker wrote, and are compared with counts computed straight from the raw CSV files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from tests.directory.hr_support import CERT_EMAIL, CERT_LDAP_DIR, RawCertCounts
from tests.integration.harness import Deployment

pytestmark = pytest.mark.integration

AS_OF_DATES = (dt.date(2010, 6, 30), dt.date(2011, 3, 31))
WINDOWS = {"7d": 7, "30d": 30}
LEAVERS = ("CYA0506", "RRC0553")
CERT_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"


@pytest.fixture(scope="module")
def replayed(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    if not CERT_EMAIL.exists() or not CERT_LDAP_DIR.exists():
        pytest.skip(f"CERT r4.2 files not found ({CERT_EMAIL}); they ship beside the project in CI")
    deployment = Deployment(
        kafka_bootstrap,
        tmp_path_factory.mktemp("hr-replay") / "data",
        "hr-replay",
        extra_env={"SOCIALITICA_FLUSH_INTERVAL_SECONDS": "5", "SOCIALITICA_GROUP_DIMENSIONS": "none"},
    )
    with duckdb.connect() as connection:
        expected_events = connection.execute("SELECT count(*) FROM read_csv(?)", [str(CERT_EMAIL)]).fetchall()[0][0]
    worker = deployment.start_worker("--clock", "replay", track=False)
    try:
        snapshots = sorted(str(path) for path in CERT_LDAP_DIR.glob("*.csv"))
        loaded = deployment.cli("directory", "load", *snapshots, "--snapshot", "--effective-from-name")
        assert loaded.returncode == 0, loaded.stderr + loaded.stdout
        mails = deployment.cli(
            "ingest", str(CERT_EMAIL), "--topic", "interactions", "--kind", "message", "--app", "mail",
            "--user-column", "user", "--time-column", "date", "--time-format", CERT_TIME_FORMAT,
            timeout_s=1200,
        )  # fmt: skip
        assert mails.returncode == 0, mails.stderr
        assert f"sent {expected_events}, skipped 0, rejected 0" in mails.stdout
        worker.wait_processed(expected_events, timeout_s=1200)
    finally:
        assert worker.stop() == 0, worker.log_tail()
    return deployment


def report_by_department(deployment: Deployment, as_of: dt.date) -> dict[tuple[str, str], dict[str, int]]:
    result = deployment.cli("report", "--by", "department", "--as-of", as_of.isoformat(), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["as_of"] == as_of.isoformat()
    assert document["by"] == "department"
    return {(group["group"], group["window"]): group for group in document["groups"]}


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_department_counts_after_replay(replayed: Deployment, as_of: dt.date) -> None:
    raw = RawCertCounts()
    groups = report_by_department(replayed, as_of)
    for label, days in WINDOWS.items():
        expected = raw.counts(as_of, days)
        for department, counts in expected.items():
            if not counts["population"] and not counts["active"]:
                continue
            product = groups[(department, label)]
            for field in ("population", "active", "inactive", "never_active"):
                assert product[field] == counts[field], (department, label, field)


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_leavers_never_inactive_after_replay(replayed: Deployment, as_of: dt.date, tmp_path: Path) -> None:
    export = tmp_path / "inactive.csv"
    result = replayed.cli(
        "export", "inactive", "--days", "30", "--format", "csv", "--as-of", as_of.isoformat(), "-o", str(export)
    )
    assert result.returncode == 0, result.stderr
    listed = export.read_text(encoding="utf-8-sig")
    for leaver in LEAVERS:
        assert leaver not in listed
    raw = RawCertCounts().counts(as_of, 30)
    not_active = sum(c["inactive"] + c["never_active"] for group, c in raw.items() if group != "former")
    assert len(listed.strip().splitlines()) - 1 == not_active
