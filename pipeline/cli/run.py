"""The `run` and `worker` commands: the Faust worker, with or without a local broker."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import click

from pipeline.cli.connect import broker_for_run, running_broker
from pipeline.cli.options import common_options, load_settings
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


def worker_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.option("--web-port", type=int, default=None, help="Port of /metrics [env SOCIALITICA_WEB_PORT; default 6066]."),
        click.option(
            "--clock",
            type=click.Choice(["wall", "replay"]),
            default=None,
            help="'replay' reports as of the newest event's day, for old data [env SOCIALITICA_CLOCK; default wall].",
        ),
        click.option(
            "--flush-interval",
            "flush_interval_seconds",
            type=float,
            default=None,
            help="Seconds between warehouse flushes [env SOCIALITICA_FLUSH_INTERVAL_SECONDS; default 10].",
        ),
        click.option(
            "--source-timezone",
            default=None,
            help="IANA zone for event timestamps without an offset [env SOCIALITICA_SOURCE_TIMEZONE; default UTC].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _check_port_free(settings: Settings) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((settings.web_host, settings.web_port))
        except OSError as exc:
            raise click.UsageError(
                f"port {settings.web_port} on {settings.web_host} is in use ({exc.strerror}); "
                "pass --web-port or set SOCIALITICA_WEB_PORT"
            ) from exc


def _run_worker(settings: Settings, broker: str) -> None:
    import faust
    import prometheus_client

    from agents.worker import ActivityWorker
    from pipeline.topics import ensure_topics

    ensure_topics(settings, broker)
    prometheus_client.disable_created_metrics()  # *_created series only double the exposition
    worker = ActivityWorker(settings, broker)
    worker.warehouse.prepare()
    worker.restore_local_state()
    click.echo(
        f"Worker starting: metrics at http://{settings.web_host}:{settings.web_port}/metrics, "
        f"warehouse at {worker.warehouse.database_path} (open it read-only with `duckdb -readonly`), "
        f"broker {broker}. Press Ctrl-C to stop."
    )
    faust.Worker(worker.app, loglevel=settings.log_level.lower(), redirect_stdouts=False).execute_from_commandline()


@click.command()
@common_options
@worker_options
def run(data_dir: Path | None, broker: str | None, **flags: object) -> None:
    """Run the pipeline: the configured broker or a local one, and the worker. Ctrl-C stops all."""
    settings = load_settings(data_dir=data_dir, broker=broker, **flags)
    _check_port_free(settings)
    with broker_for_run(settings) as bootstrap:
        try:
            _run_worker(settings, bootstrap)
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise
    logger.info("socialitica run stopped")


@click.command()
@common_options
@worker_options
def worker(data_dir: Path | None, broker: str | None, **flags: object) -> None:
    """Run only the worker, against --broker or the local broker already running in --data-dir."""
    settings = load_settings(data_dir=data_dir, broker=broker, **flags)
    _check_port_free(settings)
    _run_worker(settings, running_broker(settings))
