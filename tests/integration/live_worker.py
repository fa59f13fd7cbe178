"""A real worker fed with a small, varied workload, for tests that need live metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from kafka import KafkaProducer

from tests.integration.harness import Deployment, sample, total, wait_for

DEPARTMENTS = ("Sales", "Engineering", "Finance")
LOCATIONS = (("Madrid", "ES"), ("Mexico City", "MX"))
KINDS = (("post", "blogs"), ("comment", "forums"), ("like", "blogs"), ("edit", "wikis"), ("message", "chat"))


def write_directory(path: Path, people: int) -> list[str]:
    users = [f"live{number:03d}" for number in range(people)]
    with path.open("wb") as handle:
        for number, user in enumerate(users):
            location, country = LOCATIONS[number % len(LOCATIONS)]
            profile = {
                "user_id": user,
                "display_name": f"Person {number}",
                "email": f"{user}@example.com",
                "department": DEPARTMENTS[number % len(DEPARTMENTS)],
                "team": f"team-{number % 5}",
                "manager_id": users[0] if number else None,
                "location": location,
                "country": country,
                "employment_start": "2020-01-01",
                "account_type": "person",
                "enabled": True,
            }
            handle.write(orjson.dumps(profile) + b"\n")
    return users


def produce_workload(broker: str, prefix: str, users: list[str]) -> int:
    producer = KafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    now = time.time()
    sent = 0
    for number, user in enumerate(users):
        if number % 4 == 3:
            continue  # a quarter of the people stay inactive
        login = {"event_id": f"l-{user}", "user_id": user, "timestamp": now - 600 - number, "outcome": "success"}
        producer.send(f"{prefix}.logins", key=user.encode(), value=orjson.dumps(login))
        kind, app = KINDS[number % len(KINDS)]
        action = {"event_id": f"i-{user}", "user_id": user, "timestamp": now - 300, "kind": kind, "app": app}
        producer.send(f"{prefix}.interactions", key=user.encode(), value=orjson.dumps(action))
        sent += 2
    failed = {"event_id": "f-1", "user_id": users[0], "timestamp": now - 60, "outcome": "failure"}
    producer.send(f"{prefix}.logins", key=users[0].encode(), value=orjson.dumps(failed))
    producer.send(f"{prefix}.logins", key=b"broken", value=b"{not json")
    producer.flush()
    producer.close()
    return sent + 2


@contextmanager
def start_live_worker(broker: str, folder: Path) -> Iterator[str]:
    deployment = Deployment(
        broker,
        folder / "data",
        "live",
        extra_env={
            "SOCIALITICA_GROUP_GAUGE_INTERVAL_SECONDS": "1",
            "SOCIALITICA_GROUP_MIN_SIZE": "2",
            "SOCIALITICA_FLUSH_INTERVAL_SECONDS": "1",
        },
    )
    deployment.data_dir.mkdir(parents=True, exist_ok=True)
    users = write_directory(folder / "directory.jsonl", 30)
    worker = deployment.start_worker(track=False)
    try:
        loaded = deployment.cli(
            "directory", "load", str(folder / "directory.jsonl"), "--snapshot", "--effective", "2020-01-01"
        )
        assert loaded.returncode == 0, loaded.stderr + loaded.stdout
        assert f"published {len(users)} current profiles" in loaded.stdout
        absences = folder / "absences.csv"
        absences.write_text(f"user_id,start,end,reason\n{users[1]},2020-02-03,2020-02-07,vacation\n")
        absent = deployment.cli("absences", "load", str(absences))
        assert absent.returncode == 0, absent.stderr + absent.stdout
        assert "published 1 absences" in absent.stdout
        sent = produce_workload(broker, deployment.name, users)
        worker.wait_processed(sent)
        wait_for(
            lambda: total(worker.metrics(), "socialitica_population_users") > 0,
            90,
            f"group gauges from the directory ({worker.log_path})",
        )
        assert sample(worker.metrics(), "socialitica_known_users") > 0
        assert sample(worker.metrics(), "socialitica_directory_updates_total") == len(users)
        yield worker.metrics_url
    finally:
        worker.stop()
