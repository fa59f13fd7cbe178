"""Resident memory and CPU time of a worker process, and the disk space of a folder."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.bench.errors import BenchError


def rss_bytes(pid: int) -> int:
    """Return VmRSS of ``pid`` plus that of its child processes, recursively, in bytes.

    VmRSS already covers every thread of a process, because threads share its address space.
    """
    total = _vm_rss(pid)
    for child in _children(pid):
        total += rss_bytes(child)
    return total


def _vm_rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError as exc:
        raise BenchError(f"process {pid} is gone; its memory cannot be read") from exc
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise BenchError(f"unexpected unit {unit!r} in /proc/{pid}/status: {line!r}")
            return int(value) * 1024
    return 0  # a zombie has no VmRSS line


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue  # the thread ended while we listed the tasks
    return children


def disk_bytes(folder: Path) -> int:
    """Return the space allocated to the files under ``folder``, as ``du`` counts it (512-byte blocks)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue  # RocksDB removed an obsolete file during the walk
    return total


def cpu_seconds(pid: int) -> float:
    """Return the user and system CPU time that ``pid`` has used so far, all its threads included."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError as exc:
        raise BenchError(f"process {pid} is gone; its CPU time cannot be read") from exc
    # The command name in brackets may contain spaces, so count fields after its closing bracket.
    fields = stat.rsplit(")", 1)[1].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / os.sysconf("SC_CLK_TCK")
