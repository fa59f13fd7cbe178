"""The `bench` command: measure one worker against a local broker and print the figures."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import orjson

from pipeline.errors import SocialiticaError

# kafka-python 3 and aiokafka log every connection at INFO; the benchmark opens many.
NOISY_LOGGERS = ("kafka", "aiokafka")

DEFAULT_CERT_FILE = Path(__file__).resolve().parents[3] / "shared" / "data" / "cert-r4.2" / (
    "email_sent_2010-01_to_2011-05.csv.gz"
)


@click.command()
@click.option("--events", type=click.IntRange(min=1), default=None, help="Events preloaded for the throughput step [default 2,000,000; --small 20,000].")
@click.option("--users", type=click.IntRange(min=1), default=None, help="Users of those events [default 100,000; --small 2,000].")
@click.option(
    "--large-users",
    type=click.IntRange(min=1),
    default=None,
    help="Users for the memory, restart, flush and query steps [default 1,000,000; --small 10,000].",
)
@click.option("--latency-seconds", type=click.FloatRange(min=2.0), default=None, help="Length of the paced-load step in seconds [default 30; --small 4].")
@click.option("--pack", "pack_size", type=click.IntRange(1, 4096), default=None, help="Events per Kafka message [default 200].")
@click.option("--small", is_flag=True, help="Run every step at tiny sizes, in about a minute; the figures only show that the steps work.")
@click.option(
    "--cert",
    is_flag=True,
    help="Preload the CERT r4.2 e-mails (2.4 million events of 899 users) instead of synthetic events; "
    "with --events or --small, only the first events of the file.",
)
@click.option(
    "--cert-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The CERT e-mail file (date,user CSV, gzipped) for --cert [default ../shared/data/cert-r4.2/...].",
)
@click.option("--broker", default=None, help="Use this Kafka broker (host:port) instead of starting a local one in a temporary folder.")
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the temporary broker and worker files [default: the system's temporary folder].",
)
@click.option("--keep-files", is_flag=True, help="Keep the temporary broker and worker files for inspection.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the results to this JSON file.")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Log level of the benchmark and its workers [default INFO].",
)
def bench(
    events: int | None,
    users: int | None,
    large_users: int | None,
    latency_seconds: float | None,
    pack_size: int | None,
    small: bool,
    cert: bool,
    cert_file: Path | None,
    broker: str | None,
    work_dir: Path | None,
    keep_files: bool,
    json_path: Path | None,
    log_level: str | None,
) -> None:
    """Measure one worker: events per second against a decode-only consumer, latency, memory, state
    size, restart and restore times, warehouse flush and query times.

    Runs on a local broker in a temporary folder unless --broker is given, and takes from several minutes
    to an hour at the default sizes, depending on the worker's rate. The other SOCIALITICA_* settings (time zones, flush interval) apply to the
    workers it starts.
    """
    from pipeline.bench.report import format_table
    from pipeline.bench.runner import BenchOptions, BenchRun
    from pipeline.bench.sizes import FULL, SMALL
    from pipeline.cli.options import load_settings

    settings = load_settings(log_level=log_level.upper() if log_level else None)
    for library in NOISY_LOGGERS:
        logging.getLogger(library).setLevel(max(logging.WARNING, logging.getLogger().level))
    sizes = (SMALL if small else FULL).with_overrides(
        events=events, users=users, large_users=large_users, latency_seconds=latency_seconds, pack_size=pack_size
    )
    if sizes.large_users < sizes.users:
        raise click.UsageError(f"--large-users ({sizes.large_users}) must be at least --users ({sizes.users})")
    chosen_cert = None
    if cert:
        chosen_cert = cert_file or DEFAULT_CERT_FILE
        if not chosen_cert.exists():
            raise click.UsageError(f"CERT e-mail file {chosen_cert} not found; pass --cert-file")
    if settings.broker_security_protocol != "PLAINTEXT":
        raise click.UsageError("the benchmark supports PLAINTEXT brokers only; unset SOCIALITICA_BROKER_SECURITY_PROTOCOL")

    # --cert preloads the whole file unless --events or --small limits it.
    cert_events = events
    if cert_events is None and small:
        cert_events = sizes.events
    options = BenchOptions(
        sizes=sizes,
        settings=settings,
        broker=broker.removeprefix("kafka://") if broker else None,
        cert_file=chosen_cert,
        cert_events=cert_events,
        work_dir=work_dir,
        keep_files=keep_files,
        mode="small" if small else "full",
    )
    try:
        results = BenchRun(options).run()
    except SocialiticaError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_table(results))
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        click.echo(f"results written to {json_path}")
