"""Finding the Kafka broker a command should use: the configured one or the data dir's local one."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from collections.abc import Iterator

import click

from pipeline.settings import Settings

logger = logging.getLogger(__name__)


def reachable_broker(settings: Settings) -> str | None:
    """Return the configured broker, or the local broker running in the data dir, or None."""
    if settings.broker:
        return settings.broker
    from pipeline.broker import find_running

    info = find_running(settings.data_dir)
    return info.bootstrap if info is not None else None


def running_broker(settings: Settings) -> str:
    """Return the broker ``reachable_broker`` finds, or raise a usage error naming the fix."""
    bootstrap = reachable_broker(settings)
    if bootstrap is None:
        raise click.UsageError(
            f"no broker configured and no local broker running in {settings.data_dir}: start one with "
            f"`socialitica run --data-dir {settings.data_dir}`, or set --broker / SOCIALITICA_BROKER"
        )
    return bootstrap


@contextmanager
def broker_for_run(settings: Settings) -> Iterator[str]:
    """Yield the broker to use, starting the data dir's local broker when none is configured.

    A local broker this call started is stopped on exit; one that was already running is left alone.
    """
    if settings.broker:
        yield settings.broker
        return
    from pipeline.broker import LocalBroker, find_running

    info = find_running(settings.data_dir)
    if info is not None:
        logger.info("using the local broker already running at %s", info.bootstrap)
        yield info.bootstrap
        return
    broker = LocalBroker()
    info = broker.start(settings.data_dir, timeout_s=settings.local_broker_timeout_seconds)
    try:
        yield info.bootstrap
    finally:
        broker.stop()
