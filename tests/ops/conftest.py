"""Fixtures for the operations kit: Prometheus binaries, Prometheus servers and a sample exporter."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ops.prometheus_server import PrometheusError, PrometheusServer, free_port, install_prometheus
from tests.ops.sample_exporter import SampleExporter


@pytest.fixture(scope="session")
def prometheus_bin_dir() -> Path:
    """The folder with prometheus, promtool and amtool, installed from Debian's packages on first use."""
    if not os.environ.get("PROMETHEUS_BIN_DIR") and shutil.which("apt-get") is None:
        pytest.skip("needs apt-get to install Debian's prometheus package, or PROMETHEUS_BIN_DIR")
    try:
        return install_prometheus()
    except PrometheusError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def sample_exporter() -> Iterator[SampleExporter]:
    exporter = SampleExporter(free_port())
    exporter.start()
    yield exporter
    exporter.stop()


@pytest.fixture
def start_prometheus(prometheus_bin_dir: Path, tmp_path: Path) -> Iterator[Callable[..., PrometheusServer]]:
    """Factory: start_prometheus(targets, **options) returns a started server, stopped at teardown."""
    servers: list[PrometheusServer] = []

    def start(targets: list[str], **options: object) -> PrometheusServer:
        server = PrometheusServer(prometheus_bin_dir, tmp_path / f"prometheus-{len(servers)}", targets, **options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
