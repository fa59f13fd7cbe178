"""The machine, load, software versions and source revision a benchmark ran on, for its record."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

PACKAGES = ("faust-streaming", "aiokafka", "kafka-python", "duckdb", "orjson", "pyarrow", "rocksdict")


def machine() -> dict[str, object]:
    """Return CPU count, CPU model and total memory, read from /proc on Linux."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_bytes": _memory_total(),
        "kernel": platform.release(),
    }


def load_average() -> list[float]:
    """Return the 1, 5 and 15-minute load averages: other work on the machine skews every figure."""
    return [round(value, 2) for value in os.getloadavg()]


def source_revision() -> dict[str, object]:
    """Return the git commit of the measured code and the files changed since it ({} outside a checkout)."""
    try:
        commit = _git("rev-parse", "HEAD").strip()
        status = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": commit, "modified": [line[3:] for line in status.splitlines()]}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def versions(kafka: str) -> dict[str, str]:
    """Return the versions of Python, the Kafka broker (as given) and the packages that do the work."""
    found = {"python": platform.python_version(), "kafka": kafka}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
