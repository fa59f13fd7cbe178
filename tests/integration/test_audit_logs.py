import time
from pathlib import Path
import pytest
from tests.integration.harness import Deployment

pytestmark = pytest.mark.integration

def test_startup_time(kafka_bootstrap: str, tmp_path: Path) -> None:
    for i in range(2):
        d = Deployment(kafka_bootstrap, tmp_path / f"d{i}", f"startup-{i}-{time.time_ns()}", extra_env={"SOCIALITICA_STORE": "memory"} if i else {})
        t = time.monotonic()
        w = d.start_worker("--clock", "replay", "--flush-interval", "1")
        t1 = time.monotonic()
        w.stop()
        print("start", t1 - t, "stop", time.monotonic() - t1)
