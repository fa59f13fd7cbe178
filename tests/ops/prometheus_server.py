"""A real Prometheus server for tests: started on a free 127.0.0.1 port, queried over HTTP, then stopped.

The binaries come from deploy/setup/install-prometheus.sh (Debian's prometheus package,
unpacked into a cache folder), or from the folder named by PROMETHEUS_BIN_DIR.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO_ROOT / "deploy" / "setup" / "install-prometheus.sh"
RULE_FILES = tuple(sorted((REPO_ROOT / "deploy" / "prometheus" / "rules").glob("*.yml")))
WORKER_JOB = "socialitica-worker"


class PrometheusError(Exception):
    """Prometheus could not be installed, failed to start, or rejected a query."""


def install_prometheus(timeout: float = 300.0) -> Path:
    """Return the folder holding `prometheus` and `promtool`, installing them if needed.

    PROMETHEUS_BIN_DIR, when set, names the folder and nothing is installed. Otherwise the
    install script runs; it returns at once when the binaries are already in its cache.
    """
    configured_dir = os.environ.get("PROMETHEUS_BIN_DIR")
    if configured_dir:
        bin_dir = Path(configured_dir)
        if not (bin_dir / "prometheus").is_file() or not (bin_dir / "promtool").is_file():
            raise PrometheusError(
                f"PROMETHEUS_BIN_DIR={configured_dir} is missing the prometheus or promtool binary; "
                "point it at the folder that contains both, or unset it to install them"
            )
        return bin_dir

    try:
        completed = subprocess.run(
            [str(INSTALL_SCRIPT), "--with-alertmanager"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrometheusError(f"{INSTALL_SCRIPT} timed out after {timeout:.0f} s") from exc
    if completed.returncode != 0:
        raise PrometheusError(
            f"{INSTALL_SCRIPT} failed with exit status {completed.returncode}:\n{completed.stderr.strip()}"
        )
    return Path(completed.stdout.strip().splitlines()[-1])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render_config(
    targets: Sequence[str],
    rule_files: Iterable[Path],
    scrape_interval: str,
    job: str = WORKER_JOB,
    metrics_path: str = "/metrics",
) -> str:
    """Return a prometheus.yml that scrapes `targets` (host:port) as `job` and loads `rule_files`."""
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": metrics_path,
                "scrape_timeout": scrape_interval,
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }
    # JSON is valid YAML, so no YAML library is needed here.
    return json.dumps(config, indent=2)


class PrometheusServer:
    """One Prometheus process with its own storage folder, bound to 127.0.0.1 only.

    Use as a context manager, or call `start()` and `stop()`. The process log is kept in
    `log_path` and its end is quoted in start-up errors.
    """

    def __init__(
        self,
        bin_dir: Path,
        work_dir: Path,
        targets: Sequence[str],
        *,
        rule_files: Iterable[Path] = RULE_FILES,
        scrape_interval: str = "1s",
        job: str = WORKER_JOB,
        metrics_path: str = "/metrics",
    ) -> None:
        self.bin_dir = Path(bin_dir)
        self.work_dir = Path(work_dir)
        self.targets = list(targets)
        self.rule_files = list(rule_files)
        self.scrape_interval = scrape_interval
        self.job = job
        self.metrics_path = metrics_path
        self.port: int | None = None
        self.log_path = self.work_dir / "prometheus.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise PrometheusError("Prometheus is not started")
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start Prometheus and wait until /-/ready returns 200, or raise PrometheusError."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config_path = self.work_dir / "prometheus.yml"
        config_path.write_text(
            render_config(self.targets, self.rule_files, self.scrape_interval, self.job, self.metrics_path),
            encoding="utf-8",
        )
        storage_dir = self.work_dir / "data"
        shutil.rmtree(storage_dir, ignore_errors=True)

        self.port = free_port()
        command = [
            str(self.bin_dir / "prometheus"),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={storage_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=35d",
            "--log.level=warn",
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.work_dir)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise PrometheusError(
                    f"Prometheus exited with status {self._process.returncode} during start-up:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise PrometheusError(f"Prometheus was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process: SIGTERM, then SIGKILL after `timeout` seconds."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        self._process = None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def api_get(self, path: str, params: dict[str, str] | None = None) -> object:
        """Call an HTTP API endpoint and return its `data`, or raise PrometheusError."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            # Prometheus returns 400 and 422 with a JSON body that names the error.
            try:
                body = json.loads(exc.read() or b"{}")
            except ValueError:
                raise PrometheusError(f"GET {path} failed with HTTP status {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise PrometheusError(f"GET {path} failed: {exc.reason}") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"GET {path} {params or ''} failed: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """Evaluate an instant query now; return the result list (vector) or a one-element list (scalar)."""
        data = self.api_get("/api/v1/query", {"query": expr})
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def wait_for(self, expr: str, timeout: float = 20.0) -> list[dict]:
        """Repeat `query(expr)` until it returns at least one sample; raise PrometheusError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise PrometheusError(f"{expr!r} returned no data within {timeout:.0f} s")
            time.sleep(0.5)

    def active_targets(self) -> list[dict]:
        return self.api_get("/api/v1/targets")["activeTargets"]

    def rule_groups(self) -> list[dict]:
        return self.api_get("/api/v1/rules")["groups"]


def check_metrics(bin_dir: Path, exposition: bytes) -> list[str]:
    """Lint a text exposition with `promtool check metrics`; return its problem lines.

    Raises PrometheusError when promtool cannot parse the exposition at all.
    """
    completed = subprocess.run(
        [str(Path(bin_dir) / "promtool"), "check", "metrics"],
        input=exposition,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (completed.stdout + completed.stderr).decode(errors="replace")
    # promtool 2.42 exits 3 when it found lint problems and 1 when parsing failed.
    if completed.returncode not in (0, 3):
        raise PrometheusError(f"promtool check metrics failed with exit status {completed.returncode}:\n{output}")
    return [line for line in output.splitlines() if line.strip()]
