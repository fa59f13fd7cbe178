"""LocalBroker: start, restart and stop a real broker, its failure messages, and client compatibility."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from pipeline.broker import KAFKA_VERSION, BrokerError, LocalBroker, find_running, logfile
from pipeline.broker.config import read_saved_ports, server_properties, write_server_properties
from pipeline.broker.ports import HOST, choose_ports, pick_free_port
from pipeline.broker.process import is_alive, spawn, wait_until_ready
from pipeline.broker.state import BrokerInfo, kafka_dir, write_state
from pipeline.errors import SocialiticaError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _read_all(bootstrap: str, topic: str, partitions: int) -> list[tuple[bytes, bytes]]:
    """Return every record of ``topic`` as (key, value), reading up to the end offsets of now."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        assigned = [TopicPartition(topic, partition) for partition in range(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end_offsets = consumer.end_offsets(assigned)
        records: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end for tp, end in end_offsets.items()):
            assert time.monotonic() < deadline, f"timed out reading {topic} up to {end_offsets}"
            for batch in consumer.poll(timeout_ms=500).values():
                records += [(record.key, record.value) for record in batch]
        return records
    finally:
        consumer.close()


@pytest.mark.integration
def test_broker_restart_keeps_cluster_and_messages(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    broker = LocalBroker()

    first = broker.start(data_dir, timeout_s=180)
    try:
        admin = KafkaAdminClient(bootstrap_servers=first.bootstrap)
        admin.create_topics({"launcher-test": {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
        admin.close()
        producer = KafkaProducer(bootstrap_servers=first.bootstrap, acks="all")
        producer.send("launcher-test", key=b"alice@example.com", value=b'{"n": 1}').get(timeout=30)
        producer.close()
        assert _read_all(first.bootstrap, "launcher-test", 2) == [(b"alice@example.com", b'{"n": 1}')]

        found = find_running(data_dir)
        assert found == first
        record = json.loads((kafka_dir(data_dir) / "broker.json").read_text())
        assert record["bootstrap"] == f"{HOST}:{first.broker_port}"
        assert record["pid"] == first.pid
        assert record["kafka_version"] == KAFKA_VERSION

        with pytest.raises(BrokerError, match="already runs"):
            LocalBroker().start(data_dir)
    finally:
        broker.stop()

    assert not is_alive(first.pid)
    assert not (kafka_dir(data_dir) / "broker.json").exists()
    assert find_running(data_dir) is None

    with LocalBroker() as restarted:
        second = restarted.start(data_dir, timeout_s=180)
        assert second.cluster_id == first.cluster_id
        assert second.pid != first.pid
        assert _read_all(second.bootstrap, "launcher-test", 2) == [(b"alice@example.com", b'{"n": 1}')]
    assert not is_alive(second.pid)


def test_start_with_missing_java_raises(tmp_path: Path) -> None:
    broker = LocalBroker(java="/nonexistent/bin/java", cache_dir=tmp_path / "cache")

    with pytest.raises(BrokerError) as raised:
        broker.start(tmp_path / "data")

    assert isinstance(raised.value, SocialiticaError)
    assert "/nonexistent/bin/java" in str(raised.value)
    assert "JDK 17" in str(raised.value)
    assert broker.process is None


def test_find_running_removes_stale_record(tmp_path: Path) -> None:
    exited = subprocess.Popen(["true"])
    exited.wait()
    kafka_dir(tmp_path).mkdir()
    stale = BrokerInfo(
        bootstrap=f"{HOST}:1", pid=exited.pid, broker_port=1, controller_port=2, cluster_id="x",
        kafka_version="4.4.0", log_file=tmp_path / "kafka" / "broker.log", started_at=0.0,
    )  # fmt: skip
    write_state(tmp_path, stale)

    assert find_running(tmp_path) is None
    assert not (kafka_dir(tmp_path) / "broker.json").exists()


def test_wait_until_ready_reports_early_exit(tmp_path: Path) -> None:
    log_path = tmp_path / "broker.log"
    log_path.write_bytes(b"Kafka Server started (from an earlier run)\n")
    offset = log_path.stat().st_size
    process = spawn(["sh", "-c", "echo 'port in use'; exit 3"], log_path, die_with_parent=True)

    with pytest.raises(BrokerError) as raised:
        wait_until_ready(process, log_path, offset, timeout_s=30)

    message = str(raised.value)
    assert "exited with code 3" in message
    assert str(log_path) in message
    assert "port in use" in message
    assert "earlier run" not in message


def test_wait_until_ready_times_out_and_kills(tmp_path: Path) -> None:
    log_path = tmp_path / "broker.log"
    process = spawn(["sleep", "60"], log_path, die_with_parent=True)

    with pytest.raises(BrokerError, match=r"not ready after 1 s"):
        wait_until_ready(process, log_path, 0, timeout_s=1)

    assert process.returncode == -signal.SIGTERM


def test_log_excerpt_shows_first_error_before_shutdown(tmp_path: Path) -> None:
    log_path = tmp_path / "broker.log"
    earlier_run = "[2026-01-01 00:00:00,000] ERROR from an earlier run (kafka.Kafka$)\n"
    this_run = [
        "[2026-01-02 00:00:00,000] INFO Starting (kafka.server.KafkaRaftServer)",
        "[2026-01-02 00:00:01,000] ERROR Unable to start acceptor for PLAINTEXT (kafka.network.DataPlaneAcceptor)",
        "org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:9092: Address already in use.",
        *[
            f"[2026-01-02 00:00:02,000] INFO shutting down part {number} (kafka.server.BrokerServer)"
            for number in range(40)
        ],
    ]
    log_path.write_text(earlier_run + "\n".join(this_run) + "\n")

    excerpt = logfile.excerpt(log_path, len(earlier_run))

    assert "Unable to start acceptor for PLAINTEXT" in excerpt
    assert "Address already in use" in excerpt
    assert "shutting down part 39" in excerpt
    assert "shutting down part 0 " not in excerpt
    assert "earlier run" not in excerpt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG exists only on Linux")
def test_spawned_process_dies_with_killed_parent(tmp_path: Path) -> None:
    parent_code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from pipeline.broker.process import spawn
        child = spawn(["sleep", "60"], Path({str(tmp_path / "child.log")!r}), die_with_parent=True)
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert is_alive(child_pid)

    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)

    deadline = time.monotonic() + 10
    while is_alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_alive(child_pid)


def test_choose_ports_reuses_saved_free_ports() -> None:
    broker_port = pick_free_port(exclude=set())
    controller_port = pick_free_port(exclude={broker_port})

    assert choose_ports((broker_port, controller_port)) == (broker_port, controller_port)


def test_choose_ports_moves_off_busy_port() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        busy_port = listener.getsockname()[1]
        free_port = pick_free_port(exclude={busy_port})

        broker_port, controller_port = choose_ports((busy_port, free_port))

    assert broker_port != busy_port
    assert controller_port == free_port


def test_server_properties_round_trip_ports_and_escape_path(tmp_path: Path) -> None:
    log_dir = tmp_path / "Socialítica" / "data"
    path = tmp_path / "server.properties"

    write_server_properties(path, server_properties(log_dir, 19092, 19093, {"num.partitions": "8"}))

    text = path.read_text(encoding="ascii")
    assert "Social\\u00edtica" in text
    assert "num.partitions=8\n" in text
    assert "controller.quorum.voters=1@127.0.0.1:19093\n" in text
    assert read_saved_ports(path) == (19092, 19093)


@pytest.mark.integration
def test_topic_factory_creates_partitions(kafka_bootstrap: str, kafka_topic_factory: Callable[..., str]) -> None:
    topic = kafka_topic_factory(partitions=3, prefix="factory")

    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic(topic)
    finally:
        consumer.close()
    assert topic.startswith("factory-")
    assert partitions == {0, 1, 2}


@pytest.mark.integration
def test_faust_agent_updates_table(kafka_bootstrap: str, kafka_topic_factory: Callable[..., str]) -> None:
    import faust

    source = kafka_topic_factory(partitions=1, prefix="faust-compat")
    app_id = f"faust-compat-{uuid.uuid4().hex[:8]}"
    app = faust.App(
        app_id,
        broker=f"kafka://{kafka_bootstrap}",
        store="memory://",
        web_enabled=False,
        topic_partitions=1,
    )
    counts = app.Table("counts", default=int, partitions=1)
    handled = asyncio.Event()

    @app.agent(app.topic(source, key_type=str, value_type=str))
    async def count(stream: faust.StreamT[str]) -> None:
        async for event in stream.events():
            counts[event.key] += 1
            handled.set()

    async def run() -> int:
        await app.start()
        try:
            producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
            producer.send(source, key=b"alice@example.com", value=b'"login"').get(timeout=30)
            producer.close()
            await asyncio.wait_for(handled.wait(), timeout=60)
            return int(counts["alice@example.com"])
        finally:
            await app.stop()

    assert asyncio.run(run()) == 1
    changelog = _read_all(kafka_bootstrap, f"{app_id}-counts-changelog", 1)
    assert changelog == [(b'"alice@example.com"', b"1")]
