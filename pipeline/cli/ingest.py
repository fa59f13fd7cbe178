"""The `ingest` command: send event files to Kafka with a progress bar and a final count."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipeline.adapters import CANONICAL, AliasMap, detect_format, format_names
from pipeline.cli.connect import running_broker
from pipeline.cli.options import common_options, load_settings
from pipeline.errors import SocialiticaError
from pipeline.events import EventDecoder
from pipeline.ingest.adapted import count_records, read_audit_log
from pipeline.ingest.canonical import read_canonical
from pipeline.ingest.csvmap import CsvMapping, count_rows, read_csv_events
from pipeline.ingest.items import IngestItem, TopicKind
from pipeline.ingest.producer import EventProducer, IngestSummary
from pipeline.settings import Settings
from pipeline.topics import ensure_topics


AUDIT_FORMATS = format_names()


def _conditions(values: tuple[str, ...], option: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        column, separator, expected = value.partition("=")
        if not separator or not column:
            raise click.BadParameter(f"{value!r} is not COLUMN=VALUE", param_hint=option)
        pairs.append((column, expected))
    return tuple(pairs)


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith((".csv", ".csv.gz"))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--topic",
    type=click.Choice(["logins", "interactions"]),
    default=None,
    help="Event topic for canonical and CSV input; audit logs choose the topic per record.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "canonical", "csv", *AUDIT_FORMATS]),
    default="auto",
    help="Input format; auto detects it from the file name and its first records.",
)
@click.option(
    "--aliases",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV or JSONL of alias,user_id pairs mapping e-mails and UPNs in audit logs to directory ids.",
)
@click.option("--user-column", help="CSV: column with the user id.")
@click.option("--time-column", help="CSV: column with the event time.")
@click.option("--time-format", help="CSV: strptime format of the time column, e.g. '%m/%d/%Y %H:%M:%S'.")
@click.option("--source-timezone", default=None, help="IANA zone of times without an offset [default UTC].")
@click.option("--event-id-column", help="CSV: column with a unique event id [default: a hash of file, line and row].")
@click.option("--outcome", type=click.Choice(["success", "failure"]), default="success", help="CSV logins: fixed outcome.")
@click.option("--outcome-column", help="CSV logins: column holding success or failure.")
@click.option("--kind", help="CSV interactions: fixed kind, e.g. message.")
@click.option("--kind-column", help="CSV interactions: column holding the kind.")
@click.option("--app", default="other", help="CSV interactions: fixed app, e.g. mail [default other].")
@click.option("--app-column", help="CSV interactions: column holding the app.")
@click.option("--keep", multiple=True, metavar="COLUMN=VALUE", help="CSV: send only rows where COLUMN equals VALUE.")
@click.option("--skip", multiple=True, metavar="COLUMN=VALUE", help="CSV: skip rows where COLUMN equals VALUE.")
@click.option(
    "--pack",
    "pack_size",
    type=click.IntRange(1, 4096),
    default=200,
    show_default=True,
    help="Events per Kafka message, packed per partition; 1 sends each event alone, keyed by user id.",
)
@click.option(
    "--fail-on-rejects", is_flag=True, help="Exit with status 1 when any row was rejected (they are still dead-lettered)."
)
@common_options
def ingest(
    files: tuple[Path, ...],
    topic: TopicKind | None,
    file_format: str,
    aliases: Path | None,
    pack_size: int,
    fail_on_rejects: bool,
    keep: tuple[str, ...],
    skip: tuple[str, ...],
    data_dir: Path | None,
    broker: str | None,
    reporting_timezone: str | None,
    log_level: str | None,
    source_timezone: str | None,
    **csv_options: str | None,
) -> None:
    """Send event FILES to the logins and interactions topics.

    Canonical JSON lines are validated and sent as they are; CSV needs --topic, --user-column and
    --time-column; audit logs (m365, entra-signin, okta, google-workspace, slack, mattermost) are
    mapped record by record. Rejected rows go to the dead-letter topic with their reason.
    """
    settings = load_settings(
        data_dir=data_dir,
        broker=broker,
        reporting_timezone=reporting_timezone,
        log_level=log_level,
        source_timezone=source_timezone,
    )
    try:
        formats = {path: _resolve_format(path, file_format) for path in files}
    except SocialiticaError as exc:
        raise click.UsageError(str(exc)) from exc
    if topic is None and any(name in ("canonical", "csv") for name in formats.values()):
        raise click.UsageError("canonical and CSV input need --topic logins or --topic interactions")
    mapping = None
    if "csv" in formats.values():
        if not csv_options.get("user_column") or not csv_options.get("time_column"):
            raise click.UsageError("CSV input needs --user-column and --time-column")
        mapping = CsvMapping(
            user_column=str(csv_options["user_column"]),
            time_column=str(csv_options["time_column"]),
            source_timezone=settings.source_timezone,
            time_format=csv_options.get("time_format"),
            event_id_column=csv_options.get("event_id_column"),
            outcome=str(csv_options.get("outcome") or "success"),
            outcome_column=csv_options.get("outcome_column"),
            kind=csv_options.get("kind"),
            kind_column=csv_options.get("kind_column"),
            app=str(csv_options.get("app") or "other"),
            app_column=csv_options.get("app_column"),
            keep=_conditions(keep, "--keep"),
            skip=_conditions(skip, "--skip"),
        )
        if topic == "interactions" and not (mapping.kind or mapping.kind_column):
            raise click.UsageError("CSV interactions need --kind or --kind-column")
    alias_map = AliasMap.from_file(aliases) if aliases else None

    bootstrap = running_broker(settings)
    try:
        ensure_topics(settings, bootstrap)
        sources = [_source(path, formats[path], topic, mapping, alias_map) for path in files]
        summary = _ingest_files(settings, bootstrap, sources, pack_size)
    except SocialiticaError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_summary(summary)
    if summary.failed:
        raise click.ClickException(
            f"{summary.failed} messages were not acknowledged by Kafka; see the error above. Events already "
            "acknowledged are counted again if the same file is ingested again"
        )
    if fail_on_rejects and summary.rejected:
        raise click.ClickException(f"{summary.rejected} rows were rejected (--fail-on-rejects)")


def _resolve_format(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    if _is_csv(path):
        return "csv"
    detected = detect_format(path)
    return "canonical" if detected == CANONICAL else detected


@dataclass(frozen=True, slots=True)
class Source:
    """One input file with how to read it and how to size its progress bar."""

    path: Path
    unit: str
    total: Callable[[], int]
    items: Callable[[EventDecoder], Iterator[tuple[int, IngestItem]]]


def _source(
    path: Path, file_format: str, topic: TopicKind | None, mapping: CsvMapping | None, aliases: AliasMap | None
) -> Source:
    if file_format == "csv":
        assert mapping is not None and topic is not None
        return Source(path, "rows", lambda: count_rows(path), lambda decoder: read_csv_events(path, topic, mapping, decoder))
    if file_format == "canonical":
        assert topic is not None
        return Source(path, "bytes", lambda: path.stat().st_size, lambda decoder: read_canonical(path, topic, decoder))
    return Source(
        path, "records", lambda: count_records(path), lambda decoder: read_audit_log(path, file_format, decoder, aliases)
    )


def _ingest_files(settings: Settings, bootstrap: str, sources: list[Source], pack_size: int) -> IngestSummary:
    decoder = EventDecoder(settings.source_zone, settings.future_tolerance_seconds)
    producer = EventProducer(settings, bootstrap, pack_size)
    summary = IngestSummary()
    console = Console(stderr=True)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            for source in sources:
                task = progress.add_task(f"{source.path.name} ({source.unit})", total=source.total())
                stream = source.items(decoder)
                producer.send_items(_tracked(stream, progress, task), summary, str(source.path))
                producer.send_pending()
    finally:
        summary.failed = producer.close()
    return summary


def _tracked(stream: Iterator[tuple[int, IngestItem]], progress: Progress, task: object) -> Iterator[IngestItem]:
    for done, (position, item) in enumerate(stream, start=1):
        if done % 5000 == 0:
            progress.update(task, completed=position)  # type: ignore[arg-type]
        yield item
    progress.update(task, completed=progress.tasks[-1].total)  # type: ignore[arg-type]


def _print_summary(summary: IngestSummary) -> None:
    click.echo(f"sent {summary.sent}, skipped {summary.skipped}, rejected {summary.rejected}")
    for item in summary.first_rejected:
        click.echo(f"  rejected line {item.line}: {item.reason}: {item.detail}")
    if summary.rejected > len(summary.first_rejected):
        click.echo(f"  ... and {summary.rejected - len(summary.first_rejected)} more, in the dead-letter topic")
