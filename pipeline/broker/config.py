"""Files that configure the local broker: server.properties, the log4j2 setup and the cluster id."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from pipeline.broker.ports import HOST

LOG_CLEANER_DEDUPE_BUFFER_BYTES = 8 * 1024 * 1024
"""Kafka allocates this buffer on the heap at start; its 128 MiB default would take a quarter of
the 512 MiB heap. Kafka rejects 1 MiB or less per cleaner thread."""

_LISTENER_PATTERN = re.compile(r"^listeners=.*PLAINTEXT://[^:,]+:(\d+).*CONTROLLER://[^:,]+:(\d+)", re.MULTILINE)

_LOG4J2_PROPERTIES = """\
# Written by pipeline.broker on every start; edits are overwritten.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
# The full configuration dump at each start is in server.properties already.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
logger.kafkaconfig.name = kafka.server.KafkaConfig
logger.kafkaconfig.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
"""


def server_properties(
    log_dir: Path,
    broker_port: int,
    controller_port: int,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the settings of a combined broker and controller node with a static quorum of one."""
    properties = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{broker_port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{broker_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "4",
        "default.replication.factor": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.dedupe.buffer.size": str(LOG_CLEANER_DEDUPE_BUFFER_BYTES),
    }
    properties.update(overrides or {})
    return properties


def write_server_properties(path: Path, properties: Mapping[str, str]) -> None:
    """Write ``properties`` in the java.util.Properties format that kafka.Kafka reads."""
    lines = ["# Written by pipeline.broker on every start; edits are overwritten."]
    lines += [f"{key}={_escape_value(value)}" for key, value in properties.items()]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def write_log4j_config(path: Path) -> None:
    """Write a log4j2 setup that sends INFO and above to standard output, which goes to broker.log."""
    path.write_text(_LOG4J2_PROPERTIES, encoding="utf-8")


def read_saved_ports(path: Path) -> tuple[int, int] | None:
    """Return (broker port, controller port) from an earlier server.properties, if there is one."""
    try:
        text = path.read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    match = _LISTENER_PATTERN.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def new_cluster_id() -> str:
    """Return a random cluster id as ``kafka-storage.sh random-uuid`` prints it.

    That is 16 random bytes in URL-safe base64 without padding. Kafka draws again when the text
    starts with '-', because such an id would be read as a command line option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def read_cluster_id(log_dir: Path) -> str | None:
    """Return the cluster id that formatting stored in ``log_dir/meta.properties``, if any."""
    try:
        text = (log_dir / "meta.properties").read_text(encoding="latin-1")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id":
            return value.strip()
    return None


def _escape_value(value: str) -> str:
    # java.util.Properties.load(InputStream) reads ISO-8859-1, so anything outside ASCII (such as
    # the 'í' of a data dir path) is written as a \uXXXX escape.
    escaped = []
    for char in value.replace("\\", "\\\\"):
        code = ord(char)
        if code < 0x80:
            escaped.append(char)
        elif code <= 0xFFFF:
            escaped.append(f"\\u{code:04x}")
        else:
            high, low = divmod(code - 0x10000, 0x400)
            escaped.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
    return "".join(escaped)
