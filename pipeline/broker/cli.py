"""The `broker` command group: start, stop and inspect the local broker of a data dir."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TypeVar

import click

from pipeline.broker.classpath import KAFKA_VERSION
from pipeline.broker.errors import BrokerError
from pipeline.broker.launcher import LocalBroker, stop_running
from pipeline.broker.state import find_running

T = TypeVar("T")

_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    envvar="SOCIALITICA_DATA_DIR",
    show_default=True,
    help="Folder whose kafka/ subfolder contains the broker's configuration, log and topics.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def broker() -> None:
    """Run a single-node Kafka broker on 127.0.0.1 for local use and tests.

    The first start downloads the broker jars with Maven (about 45 MB) into
    ~/.cache/socialitica; later starts work offline.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@broker.command()
@_data_dir_option
@click.option("--detach", is_flag=True, help="Return once the broker is ready and leave it running.")
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=180.0,
    show_default=True,
    help="Seconds to wait for the broker to be ready.",
)
@click.option("--kafka-version", default=KAFKA_VERSION, show_default=True, help="Kafka release on Maven Central.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the broker jars [default: $XDG_CACHE_HOME/socialitica/kafka-VERSION].",
)
@click.option("--java", default="java", show_default=True, help="Java 17+ binary, a name on PATH or a path.")
@click.option("--heap-max", default="512m", show_default=True, help="Maximum JVM heap, as for -Xmx.")
def start(
    data_dir: Path,
    detach: bool,
    timeout_s: float,
    kafka_version: str,
    cache_dir: Path | None,
    java: str,
    heap_max: str,
) -> None:
    """Start the broker; without --detach, run until Ctrl-C and then stop it cleanly."""
    local_broker = LocalBroker(
        kafka_version=kafka_version, cache_dir=cache_dir, java=java, heap_max=heap_max, die_with_parent=not detach
    )
    info = _run_or_exit(lambda: local_broker.start(data_dir, timeout_s=timeout_s))
    click.echo(f"Kafka broker ready at {info.bootstrap} (pid {info.pid}, log {info.log_file})")
    if detach:
        click.echo(f"Stop it with: python -m pipeline.broker stop --data-dir {data_dir}")
        return

    # SIGTERM and SIGHUP take the same clean path as Ctrl-C.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_keyboard_interrupt)
    click.echo("Press Ctrl-C to stop the broker.")
    try:
        exit_code = local_broker.wait()
    except KeyboardInterrupt:
        local_broker.stop()
        return
    raise click.ClickException(f"Kafka broker exited on its own with code {exit_code}; read {info.log_file}")


@broker.command()
@_data_dir_option
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait after SIGTERM before SIGKILL.",
)
def stop(data_dir: Path, timeout_s: float) -> None:
    """Stop the broker that runs for --data-dir, whichever process started it."""
    info = _run_or_exit(lambda: stop_running(data_dir, timeout_s=timeout_s))
    if info is None:
        click.echo(f"No Kafka broker runs for {data_dir}.")
        return
    click.echo(f"Stopped Kafka broker pid {info.pid} ({info.bootstrap}).")


@broker.command()
@_data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the broker record as JSON.")
def status(data_dir: Path, as_json: bool) -> None:
    """Print the bootstrap address of the broker for --data-dir; exit code 1 when none runs."""
    info = _run_or_exit(lambda: find_running(data_dir))
    if info is None:
        click.echo(f"No Kafka broker runs for {data_dir}.", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({**info.__dict__, "log_file": str(info.log_file)}, indent=2))
        return
    click.echo(f"Kafka {info.kafka_version} broker at {info.bootstrap} (pid {info.pid}, cluster {info.cluster_id})")


def _run_or_exit(action: Callable[[], T]) -> T:
    try:
        return action()
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
