"""The running broker's record, broker.json, and finding a broker from its data dir."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.broker.errors import BrokerError
from pipeline.broker.ports import accepts_connections
from pipeline.broker.process import is_kafka_process

logger = logging.getLogger(__name__)

STATE_FILE_NAME = "broker.json"


@dataclass(frozen=True)
class BrokerInfo:
    """A running local broker, as recorded in ``DATA_DIR/kafka/broker.json``."""

    bootstrap: str
    """``host:port`` for Kafka clients; Faust takes it as ``kafka://host:port``."""
    pid: int
    broker_port: int
    controller_port: int
    cluster_id: str
    kafka_version: str
    log_file: Path
    started_at: float
    """Unix time in seconds at which the broker logged that it was ready."""


def kafka_dir(data_dir: Path) -> Path:
    """Return the folder that contains the local broker's configuration, logs and data."""
    return data_dir / "kafka"


def write_state(data_dir: Path, info: BrokerInfo) -> None:
    """Write ``broker.json`` atomically, so readers never see half a file."""
    path = kafka_dir(data_dir) / STATE_FILE_NAME
    record = dataclasses.asdict(info)
    record["log_file"] = str(info.log_file)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_state(data_dir: Path) -> BrokerInfo | None:
    """Return the record in ``broker.json`` without checking it, or None when there is none.

    Raises BrokerError when the file exists but is not a broker record.
    """
    path = kafka_dir(data_dir) / STATE_FILE_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["log_file"] = Path(record["log_file"])
        return BrokerInfo(**record)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise BrokerError(f"invalid broker record {path}: {exc}; delete the file if no broker runs") from exc


def remove_state(data_dir: Path, pid: int | None = None) -> None:
    """Delete ``broker.json``; with ``pid``, only when the file still records that process."""
    path = kafka_dir(data_dir) / STATE_FILE_NAME
    if pid is not None:
        current = read_state(data_dir)
        if current is None or current.pid != pid:
            return
    path.unlink(missing_ok=True)


def find_running(data_dir: Path) -> BrokerInfo | None:
    """Return the broker started in ``data_dir`` if its process runs and its port accepts connections.

    A record whose process has ended is stale and is deleted. A record whose process runs but whose
    port refuses connections (starting or shutting down) is kept, so ``stop`` can still end it.
    """
    info = read_state(data_dir)
    if info is None:
        return None
    if not is_kafka_process(info.pid):
        logger.info("Removing stale %s: broker pid %d no longer runs", STATE_FILE_NAME, info.pid)
        remove_state(data_dir, info.pid)
        return None
    if not accepts_connections(info.broker_port):
        logger.warning(
            "Kafka broker pid %d from %s runs but port %d refuses connections",
            info.pid, data_dir, info.broker_port,
        )  # fmt: skip
        return None
    return info
