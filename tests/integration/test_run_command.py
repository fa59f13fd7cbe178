"""`socialitica run` starts a local broker and the worker; other commands find that broker; Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.integration.harness import REPO_ROOT, SOCIALITICA, WorkerProcess, free_port, sample

pytestmark = pytest.mark.integration


def clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOCIALITICA_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_starts_and_stops_local_broker(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*SOCIALITICA, "run", "--data-dir", str(data_dir), "--web-port", str(port), "--clock", "replay",
             "--flush-interval", "1"],
            env=clean_env(), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    run = WorkerProcess(process, f"http://127.0.0.1:{port}/metrics", log_path)
    try:
        run.wait_ready(partitions=4, timeout_s=240)
        broker_state = json.loads((data_dir / "kafka" / "broker.json").read_text())
        broker_pid = int(broker_state["pid"])
        assert pid_alive(broker_pid)

        events = tmp_path / "logins.jsonl"
        events.write_bytes(
            b"\n".join(
                orjson.dumps({"event_id": str(n), "user_id": f"u{n % 7}", "timestamp": 1262304000 + n, "outcome": "success"})
                for n in range(50)
            )
        )
        ingest = subprocess.run(
            [*SOCIALITICA, "ingest", str(events), "--topic", "logins", "--data-dir", str(data_dir)],
            env=clean_env(), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ingest.returncode == 0, ingest.stderr
        assert "sent 50, skipped 0, rejected 0" in ingest.stdout
        run.wait_processed(50)
        assert sample(run.metrics(), "socialitica_known_users") == 7
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise

    assert code == 0, run.log_tail()
    assert not pid_alive(broker_pid)
    assert not (data_dir / "kafka" / "broker.json").exists()
    report = subprocess.run(
        [*SOCIALITICA, "report", "--data-dir", str(data_dir), "--as-of", "2010-01-01", "--format", "json"],
        env=clean_env(), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["active_users"]["1d"] == 7
