"""Kill any worker a failed integration test left running, so it cannot disturb later tests."""

from collections.abc import Iterator

import pytest

from tests.integration.harness import STARTED_WORKERS


@pytest.fixture(autouse=True)
def stop_leftover_workers() -> Iterator[None]:
    yield
    while STARTED_WORKERS:
        STARTED_WORKERS.pop().kill()
