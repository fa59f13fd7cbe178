"""Audit-log samples through `socialitica ingest` and through the raw topics, checked end to end.

Every sample is sent to its own deployment (topic prefix, consumer group and data dir) with a
worker on the replay clock. After the warehouse has flushed everything, the worker's metrics,
the warehouse views and `socialitica report` are compared with figures that
`audit_expectations` derives from the raw records without the adapters.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from pipeline.packing import event_position
from tests.adapters.samples import AUDIT_LOG_FORMATS
from tests.integration.audit_expectations import FAILURE, INTERACTION, SUCCESS, FileExpectation, raw_records
from tests.integration.harness import SHARED_DATA, Deployment, WorkerProcess, sample, total, wait_for

pytestmark = pytest.mark.integration

FORMATS_DIR = SHARED_DATA / "formats"
DIRECTORY_EXPORTS = (
    "entityanalytics_entra_id__test-users.events.ndjson",
    "entityanalytics_okta__test-user.events.ndjson",
)
WORKER_ARGS = ("--clock", "replay", "--flush-interval", "1")
SUMMARY_LINE = re.compile(r"^sent (\d+), skipped (\d+), rejected (\d+)$", re.MULTILINE)

# Seconds to wait for processed events and for the warehouse flush. A wait ends as soon as its
# condition holds.
EVENTS_TIMEOUT_S = 30.0
FLUSH_TIMEOUT_S = 60.0


def sample_file(name: str) -> Path:
    path = FORMATS_DIR / name
    if not path.exists():
        pytest.skip(f"sample file {path} is absent; the shared data folder sits next to the repository in CI")
    return path


@pytest.fixture
def new_deployment(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Callable[..., Deployment]]:
    """Function ``create(label, raw_formats) -> Deployment`` giving each deployment a unique prefix.

    The topics of every deployment created are deleted at teardown.
    """
    created: list[Deployment] = []

    def create(label: str, raw_formats: str) -> Deployment:
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]
        name = f"audit-{slug}-{uuid.uuid4().hex[:8]}"
        deployment = Deployment(
            kafka_bootstrap, tmp_path / name, name, extra_env={"SOCIALITICA_RAW_FORMATS": raw_formats}
        )
        created.append(deployment)
        return deployment

    yield create

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="socialitica-tests")
    try:
        prefixes = tuple(deployment.name for deployment in created)
        leftover = [topic for topic in admin.list_topics() if prefixes and topic.startswith(prefixes)]
        if leftover:
            admin.delete_topics(leftover, raise_errors=False)
    finally:
        admin.close()


# --- Waiting for the worker and the warehouse ----------------------------------------


def wait_without_raising(condition: Callable[[], bool], timeout_s: float) -> None:
    """Wait for ``condition`` but return after a timeout too, so the assertions that follow show what differs."""
    try:
        wait_for(condition, timeout_s, "")
    except AssertionError:
        pass


def event_offsets(deployment: Deployment) -> dict[str, dict[int, int]]:
    """Return the end offset of each partition of the logins and interactions topics."""
    topics = [f"{deployment.name}.logins", f"{deployment.name}.interactions"]
    consumer = KafkaConsumer(bootstrap_servers=deployment.broker)
    try:
        ends = consumer.end_offsets(
            [TopicPartition(topic, partition) for topic in topics for partition in range(deployment.partitions)]
        )
    finally:
        consumer.close()
    offsets: dict[str, dict[int, int]] = {topic: {} for topic in topics}
    for partition, end in ends.items():
        offsets[partition.topic][partition.partition] = end
    return offsets


def wait_flushed(deployment: Deployment, worker: WorkerProcess) -> None:
    """Wait until the flush markers of the warehouse cover every message of both event topics.

    Each message in these tests carries valid events, so processing it changes a user. The next
    periodic flush of its partition then writes the position of the newest event it covered to
    ``_flushes/p<partition>.json``, where a position is ``event_position(offset, index in message)``
    and not the bare offset. The worker applies all events of a message without yielding to the
    flush timer, so covering the first event of the last message covers the whole message.
    """
    ends = event_offsets(deployment)
    markers = deployment.data_dir / "warehouse" / "_flushes"

    def covered() -> bool:
        for partition in range(deployment.partitions):
            marker = markers / f"p{partition}.json"
            flushed = json.loads(marker.read_text())["positions"] if marker.exists() else {}
            for topic, partition_ends in ends.items():
                end = partition_ends[partition]
                if end > 0 and flushed.get(topic, -1) < event_position(end - 1, 0):
                    return False
        return True

    wait_for(covered, FLUSH_TIMEOUT_S, f"the warehouse flush to cover offsets {ends} ({worker.log_path})")


# --- Reading what the pipeline counted -----------------------------------------------


def interaction_labels(metrics: dict) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for (name, labels), value in metrics.items():
        if name == "socialitica_interactions_total" and value:
            label = dict(labels)
            counts[(label["kind"], label["app"])] = int(value)
    return counts


def read_warehouse(deployment: Deployment) -> tuple[dict, set[str], Counter[str]]:
    """Return (user_days rows, users, events per daily_activity action) from the views."""
    connection = duckdb.connect(str(deployment.data_dir / "socialitica.duckdb"), read_only=True)
    try:
        connection.execute("SET TimeZone = 'UTC'")
        user_days = {
            (user, day): (logins, failed, interactions)
            for user, day, logins, failed, interactions in connection.execute(
                "SELECT user_id, day, logins, failed_logins, interactions FROM user_days"
            ).fetchall()
        }
        users = {user for (user,) in connection.execute("SELECT user_id FROM users").fetchall()}
        actions = Counter(
            {
                action: int(events)
                for action, events in connection.execute(
                    "SELECT action, sum(events) FROM daily_activity GROUP BY action"
                ).fetchall()
            }
        )
    finally:
        connection.close()
    return user_days, users, actions


def check_pipeline(
    deployment: Deployment, worker: WorkerProcess, expected: FileExpectation, worker_rejects: int = 0
) -> None:
    """Compare metrics, warehouse views and the report with the expectation of one file.

    ``worker_rejects`` is how many records the worker itself rejects: none when `ingest`
    validated them, the unmappable records when they came through a raw topic.
    """
    metrics = worker.metrics()
    successes = sample(metrics, "socialitica_logins_total", outcome="success")
    failures = sample(metrics, "socialitica_logins_total", outcome="failure")
    interactions = total(metrics, "socialitica_interactions_total")
    known_users = sample(metrics, "socialitica_known_users")
    rejected = total(metrics, "socialitica_events_rejected_total")
    assert successes == expected.count(SUCCESS), "successful logins"
    assert failures == expected.count(FAILURE), "failed logins"
    assert interactions == expected.count(INTERACTION), "interactions"
    assert interaction_labels(metrics) == expected.interaction_labels
    assert known_users == len(expected.users), "known users"
    assert rejected == worker_rejects, "events rejected by the worker"

    # The replay clock's today is the newest event's day, so the gauges match the report then.
    report = expected.report(expected.newest_day)
    for window, active in report["active_users"].items():
        gauge = sample(metrics, "socialitica_active_users", window=window)
        assert gauge == active, f"active users in {window}"
    for window, login_active in report["login_active_users"].items():
        gauge = sample(metrics, "socialitica_login_active_users", window=window)
        assert gauge == login_active, f"login-active users in {window}"

    user_days, users, actions = read_warehouse(deployment)
    assert user_days == expected.user_days
    assert users == expected.users
    assert actions == expected.warehouse_actions

    reported = deployment.cli("report", "--as-of", expected.newest_day.isoformat(), "--format", "json")
    assert reported.returncode == 0, reported.stderr
    assert json.loads(reported.stdout) == report


def summary_counts(stdout: str) -> tuple[int, int, int]:
    """Return (sent, skipped, rejected) from the summary line of `socialitica ingest`."""
    match = SUMMARY_LINE.search(stdout)
    assert match, f"no summary line in the ingest output:\n{stdout}"
    sent, skipped, rejected = (int(group) for group in match.groups())
    return sent, skipped, rejected


# --- Tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("file_name", sorted(AUDIT_LOG_FORMATS))
def test_ingest_command_counts_sample(file_name: str, new_deployment: Callable[..., Deployment]) -> None:
    path = sample_file(file_name)
    expected = FileExpectation.from_file(path, AUDIT_LOG_FORMATS[file_name])
    assert expected.events, f"the expectation of {file_name} has no events, so the test would prove nothing"
    deployment = new_deployment(f"ingest-{path.stem}", "none")
    worker = deployment.start_worker(*WORKER_ARGS)
    try:
        ingested = deployment.cli("ingest", str(path))
        assert ingested.returncode == 0, ingested.stderr
        assert summary_counts(ingested.stdout) == (
            len(expected.events),
            expected.ignored_records,
            expected.rejected_records,
        )

        wait_flushed(deployment, worker)
        check_pipeline(deployment, worker, expected)
    finally:
        assert worker.stop() == 0, worker.log_tail()


@pytest.mark.parametrize("file_name", sorted(AUDIT_LOG_FORMATS))
def test_raw_topic_counts_sample(file_name: str, new_deployment: Callable[..., Deployment]) -> None:
    path = sample_file(file_name)
    format_name = AUDIT_LOG_FORMATS[file_name]
    expected = FileExpectation.from_file(path, format_name)
    assert expected.events, f"the expectation of {file_name} has no events, so the test would prove nothing"
    deployment = new_deployment(f"raw-{path.stem}", format_name)
    worker = deployment.start_worker(*WORKER_ARGS)
    try:
        producer = KafkaProducer(bootstrap_servers=deployment.broker, acks="all")
        try:
            for record in raw_records(path):
                producer.send(f"{deployment.name}.raw.{format_name}", value=record)
            producer.flush()
        finally:
            producer.close()

        def raw_records_read() -> float:
            metrics = worker.metrics()
            return sum(
                sample(metrics, "socialitica_raw_records_total", format=format_name, result=result)
                for result in ("mapped", "ignored", "rejected")
            )

        wait_for(lambda: raw_records_read() >= expected.records, FLUSH_TIMEOUT_S, f"{expected.records} raw records")
        wait_without_raising(
            lambda: total(worker.metrics(), "socialitica_events_processed_total") >= len(expected.events),
            EVENTS_TIMEOUT_S,
        )
        wait_flushed(deployment, worker)

        metrics = worker.metrics()
        raw_counts = {
            result: sample(metrics, "socialitica_raw_records_total", format=format_name, result=result)
            for result in ("mapped", "ignored", "rejected")
        }
        assert raw_counts == {
            "mapped": expected.mapped_records,
            "ignored": expected.ignored_records,
            "rejected": expected.rejected_records,
        }
        processed = total(metrics, "socialitica_events_processed_total")
        assert processed == len(expected.events), "events processed from the logins and interactions topics"
        check_pipeline(deployment, worker, expected, worker_rejects=expected.rejected_records)
    finally:
        assert worker.stop() == 0, worker.log_tail()


MATTERMOST_POST = {
    "timestamp": "2021-12-05 09:00:00.000 Z", "event": "createPost", "status": "success",
    "user_id": "before-user", "post": {"id": "post-1", "channel_id": "channel-1", "root_id": ""},
}  # fmt: skip
MATTERMOST_LOGIN = {
    "timestamp": "2021-12-05 09:05:00.000 Z", "event": "login", "status": "success", "user_id": "",
    "login_id": "after", "user": {"id": "after-user", "name": "after"},
}  # fmt: skip
# A failed login: the server wrote no "user", so the record names no user at all.
MATTERMOST_ANONYMOUS_LOGIN = {
    "timestamp": "2021-12-05 09:01:00.000 Z", "event": "login", "status": "fail", "user_id": "",
    "login_id": "mallory",
}  # fmt: skip


def test_raw_rejects_reach_deadletter(new_deployment: Callable[..., Deployment]) -> None:
    deployment = new_deployment("raw-rejects", "mattermost")
    raw_topic = f"{deployment.name}.raw.mattermost"
    rejects = {
        "invalid_json": b'{"timestamp": "2021-12-05 09:02:00.000 Z", "event": "createPost", ',
        "missing_user_id": json.dumps(MATTERMOST_ANONYMOUS_LOGIN).encode(),
    }
    worker = deployment.start_worker(*WORKER_ARGS)
    try:
        # One partition keeps the order: a good record, both rejects, then another good record.
        producer = KafkaProducer(bootstrap_servers=deployment.broker, acks="all")
        try:
            producer.send(raw_topic, value=json.dumps(MATTERMOST_POST).encode(), partition=0)
            for value in rejects.values():
                producer.send(raw_topic, value=value, partition=0)
            producer.send(raw_topic, value=json.dumps(MATTERMOST_LOGIN).encode(), partition=0)
            producer.flush()
        finally:
            producer.close()

        wait_for(lambda: sample(worker.metrics(), "socialitica_known_users") == 2, EVENTS_TIMEOUT_S, "both good users")
        metrics = worker.metrics()
        rejected = sample(metrics, "socialitica_raw_records_total", format="mattermost", result="rejected")
        mapped = sample(metrics, "socialitica_raw_records_total", format="mattermost", result="mapped")
        logins = sample(metrics, "socialitica_logins_total", outcome="success")
        posts = sample(metrics, "socialitica_interactions_total", kind="post", app="mattermost")
        assert rejected == len(rejects), "rejected raw records"
        assert mapped == 2, "mapped raw records"
        assert logins == 1, "login after the rejects"
        assert posts == 1, "post before the rejects"
        for reason in ("invalid_json", "missing_user_id"):
            by_reason = sample(metrics, "socialitica_events_rejected_total", reason=reason)
            assert by_reason == 1, f"rejected events with reason {reason}"

        consumer = KafkaConsumer(
            f"{deployment.name}.deadletter",
            bootstrap_servers=deployment.broker,
            auto_offset_reset="earliest",
            consumer_timeout_ms=10_000,
        )
        dead = []
        for message in consumer:
            dead.append(message)
            if len(dead) == len(rejects):
                break
        consumer.close()
    finally:
        assert worker.stop() == 0, worker.log_tail()

    found = {dict(message.headers)["reason"].decode(): message.value for message in dead}
    assert found == rejects
    for message in dead:
        headers = dict(message.headers)
        assert headers["source_topic"].decode() == raw_topic
        assert headers["detail"]
    anonymous = next(message for message in dead if dict(message.headers)["reason"] == b"missing_user_id")
    assert b"mallory" in dict(anonymous.headers)["detail"]


def unknown_json(directory: Path) -> Path:
    path = directory / "inventory.json"
    path.write_text('{"sku": "A-1", "quantity": 3}\n{"sku": "B-2", "quantity": 0}\n')
    return path


def not_json(directory: Path) -> Path:
    path = directory / "notes.log"
    path.write_text("this is a plain text line\n")
    return path


@pytest.mark.parametrize(
    ("make_file", "problem"),
    [(unknown_json, "no known format matches"), (not_json, "is not a JSON object")],
    ids=["unknown-json", "not-json"],
)
def test_ingest_rejects_undetectable_file(
    make_file: Callable[[Path], Path], problem: str, tmp_path: Path, new_deployment: Callable[..., Deployment]
) -> None:
    path = make_file(tmp_path)
    deployment = new_deployment(f"detect-{path.stem}", "none")

    result = deployment.cli("ingest", str(path))

    assert result.returncode != 0
    assert str(path) in result.stderr
    assert problem in result.stderr


@pytest.mark.parametrize("file_name", DIRECTORY_EXPORTS)
def test_ingest_rejects_directory_export(file_name: str, new_deployment: Callable[..., Deployment]) -> None:
    path = sample_file(file_name)
    deployment = new_deployment(f"detect-{path.stem}", "none")

    result = deployment.cli("ingest", str(path))

    assert result.returncode != 0
    assert str(path) in result.stderr
    assert "no known format" in result.stderr


def test_undetectable_file_stops_whole_ingest(
    tmp_path: Path, kafka_bootstrap: str, new_deployment: Callable[..., Deployment]
) -> None:
    good = sample_file("slack_audit__test-audit.log")
    bad = unknown_json(tmp_path)
    deployment = new_deployment("detect-mixed", "none")

    result = deployment.cli("ingest", str(good), str(bad))

    assert result.returncode != 0
    assert str(bad) in result.stderr
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="socialitica-tests")
    try:
        topics = [topic for topic in admin.list_topics() if topic.startswith(deployment.name)]
    finally:
        admin.close()
    assert topics == [], "ingest sent or prepared events before it rejected the undetectable file"


def test_expectations_agree_with_adapter_oracles() -> None:
    """The plain-Python expectations and the DuckDB oracles of the adapter tests must agree."""
    from tests.adapters.test_sample_counts import ORACLES

    for file_name, format_name in sorted(AUDIT_LOG_FORMATS.items()):
        path = sample_file(file_name)
        expected = FileExpectation.from_file(path, format_name)
        oracle = ORACLES[file_name](path)
        assert expected.count(SUCCESS) == oracle.successes, file_name
        assert expected.count(FAILURE) == oracle.failures, file_name
        assert expected.count(INTERACTION) == oracle.interactions, file_name
        assert expected.users == oracle.users, file_name
        times = tuple(sorted(round(event.at.timestamp(), 3) for event in expected.events))
        assert times == oracle.event_times, file_name
