"""The broker's Java process: spawning it, waiting for its ready line, and ending it."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.broker import logfile
from pipeline.broker.errors import BrokerError

logger = logging.getLogger(__name__)

READY_LINE = "Kafka Server started"
"""Logged by kafka.server.KafkaRaftServer once the broker accepts requests (Kafka 3.x and 4.x)."""

_PR_SET_PDEATHSIG = 1
_POLL_INTERVAL_S = 0.2
_KILL_WAIT_S = 10.0


def spawn(command: Sequence[str], log_path: Path, die_with_parent: bool) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session with standard output and error appended to ``log_path``.

    The own session keeps a terminal's Ctrl-C away from the broker, so the launcher can stop it in
    order. With ``die_with_parent`` on Linux, the kernel sends SIGKILL to the broker when the
    thread that spawned it ends, even when the parent was itself killed with SIGKILL.
    """
    preexec = parent_death_signal(signal.SIGKILL) if die_with_parent else None
    with log_path.open("ab") as log:
        # preexec_fn is the only hook that runs in the child before exec. It is unsafe with threads
        # when it needs a lock another thread held at fork; this hook only calls prctl and getppid.
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509
        )


def wait_until_ready(process: subprocess.Popen[bytes], log_path: Path, log_offset: int, timeout_s: float) -> None:
    """Block until ``log_path`` shows READY_LINE past ``log_offset``.

    An open port is not enough, because Kafka binds its listeners before it serves requests.
    Raises BrokerError with an excerpt of the log when the process exits first or when
    ``timeout_s`` passes. On timeout the process is stopped first.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if READY_LINE in logfile.read_from(log_path, log_offset):
            return
        exit_code = process.poll()
        if exit_code is not None:
            raise BrokerError(
                f"Kafka broker exited with code {exit_code} before it was ready; read {log_path}. "
                f"{logfile.excerpt(log_path, log_offset)}"
            )
        if time.monotonic() >= deadline:
            terminate(process.pid, process, timeout_s=_KILL_WAIT_S)
            raise BrokerError(
                f"Kafka broker was not ready after {timeout_s:.0f} s and was stopped; read {log_path}, "
                f"or pass a longer timeout on a slow machine. {logfile.excerpt(log_path, log_offset)}"
            )
        time.sleep(_POLL_INTERVAL_S)


def terminate(pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float) -> bool:
    """Send SIGTERM to ``pid``, wait up to ``timeout_s``, then SIGKILL it with a warning.

    Pass the Popen of ``pid`` as ``process`` when this process spawned it, so its exit status is
    collected, and None for a broker that another process spawned. Returns True when the process
    ended on SIGTERM or had already ended, and False when it needed SIGKILL.
    """
    if not _signal(pid, signal.SIGTERM):
        return True
    if _wait_for_exit(pid, process, timeout_s):
        return True
    logger.warning("Kafka broker pid %d still running %.0f s after SIGTERM; sending SIGKILL", pid, timeout_s)
    _signal(pid, signal.SIGKILL)
    if not _wait_for_exit(pid, process, _KILL_WAIT_S):
        raise BrokerError(
            f"Kafka broker pid {pid} survived SIGKILL for {_KILL_WAIT_S:.0f} s: check it with `ps -p {pid}`"
        )
    return False


def is_alive(pid: int) -> bool:
    """Return whether ``pid`` runs; a zombie that its parent has not reaped yet counts as ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    # The state letter follows the command name, which is in parentheses and may contain spaces.
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def is_kafka_process(pid: int) -> bool:
    """Return whether ``pid`` runs kafka.Kafka, to catch a process id reused by another program.

    Without /proc (outside Linux) this only checks that the process is alive.
    """
    if not is_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"kafka.Kafka" in cmdline.split(b"\0")


def _wait_for_exit(pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float) -> bool:
    if process is not None:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout_s
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_INTERVAL_S)
    return True


def _signal(pid: int, signum: signal.Signals) -> bool:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True


def parent_death_signal(signum: signal.Signals) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that makes Linux send ``signum`` to the child when this process dies.

    Returns None off Linux, where the call does not exist.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent_pid = os.getpid()

    def set_parent_death_signal() -> None:
        # Runs in the child between fork and exec. If the parent already died before prctl took
        # effect, the child has been reparented and must exit on its own.
        if libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent_pid:
            os._exit(126)

    return set_parent_death_signal
