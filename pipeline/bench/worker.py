"""A `socialitica worker` subprocess under measurement: start, readiness, metrics, memory, stop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.bench.errors import BenchError, BenchTimeout
from pipeline.broker.process import parent_death_signal
from pipeline.bench.scrape import Samples, fetch
from pipeline.settings import ENV_PREFIX, Settings

logger = logging.getLogger(__name__)

READY_POLL_INTERVAL_S = 0.25
STOP_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_environment(settings: Settings, bootstrap: str) -> dict[str, str]:
    """Return the environment that points a worker at this run's broker, topics, group and data dir."""
    env = dict(os.environ)
    env.update(
        {
            f"{ENV_PREFIX}BROKER": bootstrap,
            f"{ENV_PREFIX}DATA_DIR": str(settings.data_dir),
            f"{ENV_PREFIX}APP_ID": settings.app_id,
            f"{ENV_PREFIX}TOPIC_PREFIX": settings.topic_prefix,
            f"{ENV_PREFIX}TOPIC_PARTITIONS": str(settings.topic_partitions),
            f"{ENV_PREFIX}LOG_LEVEL": settings.log_level,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class WorkerProcess:
    """One running worker, its /metrics address and its log file."""

    process: subprocess.Popen[bytes]
    metrics_url: str
    log_path: Path
    started_at: float

    @classmethod
    def start(cls, settings: Settings, bootstrap: str, *args: str) -> WorkerProcess:
        """Start ``python -m pipeline worker`` in its own process group, logging to the data dir."""
        port = free_port()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = settings.data_dir / f"worker-{port}.log"
        with log_path.open("w") as log:
            started_at = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker", "--web-port", str(port), *args],
                env=worker_environment(settings, bootstrap),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=parent_death_signal(signal.SIGKILL),  # noqa: PLW1509
            )
        logger.info("worker pid %d started, metrics on port %d, log %s", process.pid, port, log_path)
        return cls(process, f"http://127.0.0.1:{port}/metrics", log_path, started_at)

    @property
    def pid(self) -> int:
        return self.process.pid

    def scrape(self) -> Samples:
        return Samples.parse(fetch(self.metrics_url))

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(
                f"the worker exited with status {self.process.returncode}; last lines of {self.log_path}:\n"
                f"{self.log_tail()}"
            )

    def wait_ready(self, partitions: int, timeout_s: float) -> float:
        """Wait until /metrics is served and the worker owns every partition; return seconds since start."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_running()
            try:
                owned = self.scrape().value("socialitica_owned_partitions")
            except OSError:
                owned = None
            if owned == partitions:
                return time.monotonic() - self.started_at
            time.sleep(READY_POLL_INTERVAL_S)
        raise BenchTimeout(
            f"the worker did not own {partitions} partitions within {timeout_s:.0f} s; see {self.log_path}"
        )

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop with SIGINT (a clean shutdown with the final flush), then SIGKILL after ``timeout_s``."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            logger.warning("worker pid %d did not stop within %.0f s; killing it", self.pid, timeout_s)
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
