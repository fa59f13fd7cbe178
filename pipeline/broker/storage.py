"""Formatting the broker's KRaft storage once, which fixes the cluster id for later starts."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pipeline.broker import config, logfile
from pipeline.broker.errors import BrokerError

logger = logging.getLogger(__name__)

_FORMAT_TIMEOUT_S = 120.0


def format_storage(java_command: Sequence[str], properties_path: Path, log_dir: Path, log_path: Path) -> str:
    """Return the cluster id of ``log_dir``, formatting it first if it has none.

    ``java_command`` is the java binary with its options and class path; the StorageTool's output
    is appended to ``log_path``. Raises BrokerError when formatting fails.
    """
    cluster_id = config.read_cluster_id(log_dir)
    if cluster_id is not None:
        return cluster_id

    cluster_id = config.new_cluster_id()
    offset = log_path.stat().st_size if log_path.exists() else 0
    command = [
        *java_command, "kafka.tools.StorageTool", "format",
        "-t", cluster_id, "-c", str(properties_path), "--ignore-formatted",
    ]  # fmt: skip
    logger.info("Formatting Kafka storage in %s with cluster id %s", log_dir, cluster_id)
    with log_path.open("ab") as log:
        try:
            result = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=_FORMAT_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(
                f"formatting Kafka storage in {log_dir} timed out after {_FORMAT_TIMEOUT_S:.0f} s; read {log_path}"
            ) from exc
    if result.returncode != 0:
        raise BrokerError(
            f"formatting Kafka storage in {log_dir} failed with exit code {result.returncode}; "
            f"read {log_path}. {logfile.excerpt(log_path, offset)}"
        )
    return cluster_id
