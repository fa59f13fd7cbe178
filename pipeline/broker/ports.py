"""TCP ports of the local broker on 127.0.0.1: picking free ones and reusing saved ones."""

from __future__ import annotations

import logging
import socket

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


def is_port_free(port: int) -> bool:
    """Return whether a listener could bind ``HOST:port`` now.

    SO_REUSEADDR is set as the JVM sets it for server sockets, so connections of an earlier broker
    still in TIME_WAIT do not make the port look busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def pick_free_port(exclude: set[int]) -> int:
    """Return a port the kernel reports free, other than those in ``exclude``.

    NOTE: another process may take the port before the broker binds it; the launcher retries
    with new ports when the broker fails to bind.
    """
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
        if port not in exclude:
            return port


def choose_ports(saved: tuple[int, int] | None) -> tuple[int, int]:
    """Return (broker port, controller port): the saved ones where free, new free ones otherwise."""
    chosen: list[int] = []
    for index, role in enumerate(("broker", "controller")):
        saved_port = saved[index] if saved else None
        if saved_port is not None and saved_port not in chosen and is_port_free(saved_port):
            chosen.append(saved_port)
            continue
        port = pick_free_port(exclude=set(chosen))
        if saved_port is not None:
            logger.warning("Saved %s port %s:%d is in use; the broker moves to port %d", role, HOST, saved_port, port)
        chosen.append(port)
    return chosen[0], chosen[1]


def accepts_connections(port: int, timeout_s: float = 1.0) -> bool:
    """Return whether something accepts TCP connections on ``HOST:port``."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout_s):
            return True
    except OSError:
        return False
