"""Start real `socialitica` processes for integration tests and read their metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SOCIALITICA = [sys.executable, "-m", "pipeline"]

# Workers started by any test; tests/integration/conftest.py kills the survivors after each test.
STARTED_WORKERS: list[WorkerProcess] = []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.5) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of a /metrics page keyed by (name, sorted labels)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict, name: str) -> float:
    return sum(value for (sample_name, _), value in samples.items() if sample_name == name)


@dataclass
class Deployment:
    """One isolated set of topics, consumer group and data dir on the shared test broker."""

    broker: str
    data_dir: Path
    name: str
    partitions: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("SOCIALITICA_")}
        env.update(
            {
                "SOCIALITICA_BROKER": self.broker,
                "SOCIALITICA_DATA_DIR": str(self.data_dir),
                "SOCIALITICA_APP_ID": self.name,
                "SOCIALITICA_TOPIC_PREFIX": self.name,
                "SOCIALITICA_TOPIC_PARTITIONS": str(self.partitions),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SOCIALITICA, *args],
            env=self.env(),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def start_worker_sharing_partitions(self, *args: str) -> WorkerProcess:
        """Start a worker that joins a running group: it may own only some partitions at first."""
        return self.start_worker(*args, wait_for_all=False)

    def start_worker(self, *args: str, track: bool = True, wait_for_all: bool = True) -> WorkerProcess:
        """Start a worker and wait until it owns every partition.

        ``track=False`` leaves it out of the per-test clean-up, for workers that outlive a test.
        """
        port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / f"worker-{port}.log").open("w")
        process = subprocess.Popen(
            [*SOCIALITICA, "worker", "--web-port", str(port), *args],
            env=self.env(),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = WorkerProcess(process, f"http://127.0.0.1:{port}/metrics", Path(log.name))
        if track:
            STARTED_WORKERS.append(worker)
        if wait_for_all:
            worker.wait_ready(self.partitions)
        else:
            worker.wait_serving()
        return worker


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    metrics_url: str
    log_path: Path

    def metrics(self) -> dict:
        return scrape(self.metrics_url)

    def wait_ready(self, partitions: int, timeout_s: float = 120) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                return sample(self.metrics(), "socialitica_owned_partitions") == partitions
            except OSError:
                return False

        wait_for(ready, timeout_s, f"the worker to own {partitions} partitions ({self.log_path})")

    def wait_serving(self, timeout_s: float = 120) -> None:
        def serving() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.metrics()
            except OSError:
                return False
            return True

        wait_for(serving, timeout_s, f"the worker to serve metrics ({self.log_path})")

    def wait_processed(self, count: int, timeout_s: float = 300) -> None:
        wait_for(
            lambda: total(self.metrics(), "socialitica_events_processed_total") >= count,
            timeout_s,
            f"{count} processed events ({self.log_path})",
        )

    def stop(self, timeout_s: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise AssertionError(f"worker did not stop within {timeout_s} s:\n{self.log_tail()}") from None
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
