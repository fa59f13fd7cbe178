"""A batch that fails to process stops the worker before Faust can acknowledge it."""

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from agents import worker as worker_module
from agents.worker import FAILED_BATCH_EXIT_CODE, ActivityWorker


class Exited(Exception):
    pass


def fake_event(offset: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(topic="t.logins", partition=1, offset=offset, value=b"[]"))


def test_failed_chunk_exits_process(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise Exited

    async def failing_chunk(topic_index: int, chunk: Any) -> None:
        raise RuntimeError("changelog refused the records")

    monkeypatch.setattr(worker_module.os, "_exit", fake_exit)
    monkeypatch.setattr(worker_module.logging, "shutdown", lambda: None)
    worker = SimpleNamespace(_handle_chunk=failing_chunk)
    with caplog.at_level(logging.CRITICAL), pytest.raises(Exited):
        asyncio.run(ActivityWorker._handle(worker, 0, [fake_event(7), fake_event(8)]))  # type: ignore[arg-type]

    assert codes == [FAILED_BATCH_EXIT_CODE]
    assert "t.logins[1]@7" in caplog.text
    assert "changelog refused the records" in caplog.text
