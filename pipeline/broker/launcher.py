"""LocalBroker: a single-node KRaft Kafka broker started from Maven Central jars."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from pipeline.broker import cds, config, logfile
from pipeline.broker.classpath import DEFAULT_POM, KAFKA_VERSION, default_cache_dir, resolve_classpath
from pipeline.broker.errors import BrokerError
from pipeline.broker.ports import HOST, choose_ports
from pipeline.broker.process import is_kafka_process, spawn, terminate, wait_until_ready
from pipeline.broker.state import BrokerInfo, find_running, kafka_dir, read_state, remove_state, write_state
from pipeline.broker.storage import format_storage

__all__ = ["BrokerError", "BrokerInfo", "LocalBroker", "find_running", "stop_running"]

logger = logging.getLogger(__name__)

FAST_START_JVM_ARGS = ("-XX:TieredStopAtLevel=1",)
"""Compile with C1 only, which spends less CPU on start and gives lower peak throughput. That suits a
development broker: on 2 busy cores a start took 6 s instead of 13 s. Pass ``jvm_args=()`` for
full JIT compilation."""

_BIND_FAILURE = "Address already in use"
_BIND_ATTEMPTS = 3


class LocalBroker:
    """Starts and stops one Kafka broker whose state lives in ``DATA_DIR/kafka/``.

    ``DATA_DIR/kafka/`` contains server.properties, log4j2.properties, broker.log (the broker's
    output, appended across starts), ``data/`` (Kafka's log.dirs) and, while the broker runs,
    broker.json. The first start picks free ports on 127.0.0.1 and formats the storage. Later starts
    keep the cluster id and the topics, and also the ports while they are free.

    Usage::

        with LocalBroker() as broker:
            info = broker.start(Path("data"))
            ...  # connect clients to info.bootstrap

    Leaving the ``with`` block stops the broker. With ``die_with_parent`` (the default) the kernel
    also kills the broker on Linux when the thread that started it ends, even on SIGKILL, so a
    crashed test run leaves no broker behind. Pass False for a broker that outlives this process.
    """

    def __init__(
        self,
        *,
        kafka_version: str = KAFKA_VERSION,
        cache_dir: Path | None = None,
        pom_path: Path = DEFAULT_POM,
        java: str = "java",
        mvn: str = "mvn",
        heap_initial: str = "128m",
        heap_max: str = "512m",
        jvm_args: Sequence[str] = FAST_START_JVM_ARGS,
        overrides: Mapping[str, str] | None = None,
        die_with_parent: bool = True,
    ) -> None:
        """Configure a broker without starting it.

        ``cache_dir`` contains the jars and the class data sharing archive. It defaults to
        ``$XDG_CACHE_HOME/socialitica/kafka-VERSION``. ``overrides`` replaces or adds
        server.properties entries. NOTE: die_with_parent ties the broker to the calling thread,
        so call start() from a thread that lives as long as the broker should.
        """
        self.kafka_version = kafka_version
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir(kafka_version, os.environ)
        self.pom_path = pom_path
        self.java = java
        self.mvn = mvn
        self.jvm_args = [f"-Xms{heap_initial}", f"-Xmx{heap_max}", *jvm_args]
        self.overrides = dict(overrides or {})
        self.die_with_parent = die_with_parent
        self._process: subprocess.Popen[bytes] | None = None
        self._data_dir: Path | None = None
        self._info: BrokerInfo | None = None
        self._archive: tuple[Path, Path] | None = None

    @property
    def info(self) -> BrokerInfo | None:
        """The running broker started by this object, or None."""
        return self._info

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The broker's Java process while this object runs it."""
        return self._process

    def start(self, data_dir: Path, timeout_s: float = 120) -> BrokerInfo:
        """Start the broker for ``data_dir`` and return once it serves requests.

        The first use of a cache folder downloads about 45 MB of jars, which needs Maven and
        network. Raises BrokerError when java or Maven is missing, when a broker already runs for
        ``data_dir``, or when the broker exits or is not ready within ``timeout_s`` seconds.
        """
        if self._process is not None:
            raise BrokerError(f"this LocalBroker already runs a broker for {self._data_dir}: call stop() first")
        data_dir = data_dir.absolute()
        java_path = self._find_java()
        started = time.monotonic()

        # 1. Resolve the class path before taking the data dir's lock, because a download is slow.
        lib_dir = resolve_classpath(self.kafka_version, self.cache_dir, self.pom_path, self.mvn)
        directory = kafka_dir(data_dir)
        java_command = [
            java_path, *self.jvm_args, "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
            "-cp", str(lib_dir / "*"),
        ]  # fmt: skip

        directory.mkdir(parents=True, exist_ok=True)
        with (directory / ".start.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)

            # 2. Refuse a second broker on the same log dirs.
            running = find_running(data_dir)
            if running is not None:
                raise BrokerError(
                    f"a Kafka broker already runs for {data_dir} (pid {running.pid}, {running.bootstrap}): "
                    f"use it, or stop it with `python -m pipeline.broker stop --data-dir {data_dir}`"
                )
            remove_state(data_dir)

            # 3. Format once. The first format writes server.properties with new free ports,
            #    which the launch below then reuses.
            archive = cds.archive_path(self.cache_dir, java_path)
            properties_path = self._write_config(directory, config.read_saved_ports(directory / "server.properties"))
            cluster_id = format_storage(
                [*java_command, *(cds.use_options(archive) or [])],
                properties_path,
                directory / "data",
                directory / "broker.log",
            )

            # 4. Start; retry on new ports when another process took one in the meantime.
            self._data_dir = data_dir
            log_path = directory / "broker.log"
            for attempt in range(1, _BIND_ATTEMPTS + 1):
                offset = log_path.stat().st_size if log_path.exists() else 0
                try:
                    info = self._launch(java_command, archive, directory, cluster_id, timeout_s)
                    break
                except BrokerError:
                    if _BIND_FAILURE not in logfile.read_from(log_path, offset) or attempt == _BIND_ATTEMPTS:
                        raise
                    logger.warning(
                        "Kafka broker could not bind its ports (attempt %d of %d); retrying on new ports",
                        attempt, _BIND_ATTEMPTS,
                    )  # fmt: skip
            write_state(data_dir, info)

        self._info = info
        logger.info(
            "Kafka %s broker ready at %s after %.1f s (pid %d, log %s)",
            self.kafka_version, info.bootstrap, time.monotonic() - started, info.pid, info.log_file,
        )  # fmt: skip
        return info

    def stop(self, timeout_s: float = 30) -> None:
        """Stop the broker with SIGTERM, then SIGKILL after ``timeout_s``, and delete broker.json.

        Does nothing when this object runs no broker.
        """
        process, data_dir = self._process, self._data_dir
        if process is None or data_dir is None:
            return
        logger.info("Stopping Kafka broker pid %d for %s", process.pid, data_dir)
        graceful = terminate(process.pid, process, timeout_s)
        remove_state(data_dir, process.pid)
        self._publish_archive(clean_exit=graceful)
        self._process = None
        self._info = None
        logger.info("Stopped Kafka broker pid %d (exit code %s)", process.pid, process.returncode)

    def wait(self, timeout_s: float | None = None) -> int | None:
        """Wait for the broker to exit on its own; return its exit code, or None on timeout."""
        if self._process is None:
            raise BrokerError("this LocalBroker runs no broker: call start() first")
        try:
            return self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _find_java(self) -> str:
        java_path = shutil.which(self.java)
        if java_path is None:
            raise BrokerError(
                f"java not found at {self.java!r} (searched PATH): install a JDK 17+ "
                "(apt-get install openjdk-17-jre-headless) or pass the path of its java binary"
            )
        return java_path

    def _launch(
        self, java_command: list[str], archive: Path, directory: Path, cluster_id: str, timeout_s: float
    ) -> BrokerInfo:
        saved_ports = config.read_saved_ports(directory / "server.properties")
        broker_port, controller_port = choose_ports(saved_ports)
        properties_path = self._write_config(directory, (broker_port, controller_port))

        # Only a broker this object will stop can write the archive: it is complete once the JVM exits.
        archive_options = cds.use_options(archive)
        if archive_options is None and self.die_with_parent:
            archive_options, scratch = cds.dump_options(archive)
            self._archive = (scratch, archive)

        log_path = directory / "broker.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        logger.info(
            "Starting Kafka %s broker on %s:%d (controller port %d, cluster %s, log %s)",
            self.kafka_version, HOST, broker_port, controller_port, cluster_id, log_path,
        )  # fmt: skip
        command = [*java_command, *(archive_options or []), "kafka.Kafka", str(properties_path)]
        self._process = spawn(command, log_path, self.die_with_parent)
        try:
            wait_until_ready(self._process, log_path, offset, timeout_s)
        except BrokerError:
            self._process = None
            self._publish_archive(clean_exit=False)
            raise
        return BrokerInfo(
            bootstrap=f"{HOST}:{broker_port}",
            pid=self._process.pid,
            broker_port=broker_port,
            controller_port=controller_port,
            cluster_id=cluster_id,
            kafka_version=self.kafka_version,
            log_file=log_path,
            started_at=time.time(),
        )

    def _write_config(self, directory: Path, ports: tuple[int, int] | None) -> Path:
        broker_port, controller_port = ports if ports is not None else choose_ports(None)
        properties = config.server_properties(directory / "data", broker_port, controller_port, self.overrides)
        properties_path = directory / "server.properties"
        config.write_server_properties(properties_path, properties)
        config.write_log4j_config(directory / "log4j2.properties")
        return properties_path

    def _publish_archive(self, clean_exit: bool) -> None:
        if self._archive is not None:
            scratch, archive = self._archive
            cds.publish(scratch, archive, clean_exit)
            self._archive = None


def stop_running(data_dir: Path, timeout_s: float = 30) -> BrokerInfo | None:
    """Stop the broker recorded in ``data_dir``, whichever process started it.

    Returns the stopped broker's record, or None when no broker ran. A broker whose port refuses
    connections is stopped too, so a hung broker can be ended.
    """
    info = read_state(data_dir)
    if info is None:
        return None
    if not is_kafka_process(info.pid):
        logger.info("Removing stale broker record: pid %d no longer runs Kafka", info.pid)
        remove_state(data_dir, info.pid)
        return None
    logger.info("Stopping Kafka broker pid %d for %s", info.pid, data_dir)
    terminate(info.pid, None, timeout_s)
    remove_state(data_dir, info.pid)
    logger.info("Stopped Kafka broker pid %d", info.pid)
    return info
