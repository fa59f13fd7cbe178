"""Click commands for the directory, absences and the inactive-people export, and `report --by`."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import duckdb
import orjson

from pipeline.cli.connect import reachable_broker
from pipeline.cli.options import common_options, load_settings
from pipeline.directory.absences import read_absences
from pipeline.directory.errors import DirectoryError
from pipeline.directory.loaders import load_mapping, read_directory
from pipeline.directory.records import Problem
from pipeline.exports.csv import write_inactive_csv
from pipeline.exports.i18n import LANGUAGES
from pipeline.exports.inactive import EXPORT_DIMENSIONS, build_inactive_export
from pipeline.exports.xlsx import write_inactive_xlsx
from pipeline.errors import SocialiticaError
from pipeline.settings import Settings
from sinks.hr import (
    DEFAULT_EXCUSE_THRESHOLD,
    DEFAULT_GRACE_DAYS,
    DEFAULT_WINDOWS,
    DirectoryLoad,
    compute_statuses,
    connect_hr,
    group_breakdown,
    register_hr_views,
    store_absences,
    store_directory_loads,
)
from sinks.warehouse import connect_readonly

_SHOWN_PROBLEMS = 20
_FORMAT_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "entra-ndjson", ".json": "jsonl"}
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")

# ---------------------------------------------------------------------------------------------
# Functions for the lead's `report` command


def open_reporting_connection(data_dir: Path, reporting_timezone: str = "UTC") -> duckdb.DuckDBPyConnection:
    """Open the worker's views read-only, with the HR views added.

    Without the worker's database (no events yet, or a warehouse built by tests), an
    in-memory session reads the Parquet files of DATA_DIR/warehouse directly.
    """
    con = None
    if (data_dir / "socialitica.duckdb").exists():
        con = connect_readonly(data_dir, reporting_timezone)
    return connect_hr(data_dir / "warehouse", con)


def today_in(time_zone: str) -> dt.date:
    """Return today's date in the reporting time zone (an IANA name)."""
    return dt.datetime.now(ZoneInfo(time_zone)).date()


def build_report_by(
    con: duckdb.DuckDBPyConnection,
    warehouse_dir: Path,
    by: str,
    as_of: dt.date,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    grace_days: int = DEFAULT_GRACE_DAYS,
    excuse_threshold: float = DEFAULT_EXCUSE_THRESHOLD,
) -> dict[str, object]:
    """Return the `report --by` document: as_of, by and one entry per group and window.

    `con` is a connection to the worker's views (sinks.warehouse.connect_readonly); the HR
    views over `warehouse_dir` are added to it as temporary views.
    """
    register_hr_views(con, warehouse_dir)
    compute_statuses(con, as_of, windows, grace_days, excuse_threshold)
    groups = [
        {
            "group": counts.group,
            "window": counts.window,
            "population": counts.population,
            "active": counts.active,
            "inactive": counts.inactive,
            "never_active": counts.never_active,
            "excused": counts.excused,
            "onboarding": counts.onboarding,
        }
        for counts in group_breakdown(con, by, as_of)
    ]
    return {"as_of": as_of.isoformat(), "by": by, "groups": groups}


def format_report_by(report: dict[str, object], fmt: str = "text") -> str:
    """Render a `report --by` document as JSON or as an aligned text table."""
    if fmt == "json":
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode()
    header = ("group", "window", "population", "active", "rate", "inactive", "never_active", "excused", "onboarding")
    lines = [header]
    for entry in report["groups"]:  # type: ignore[attr-defined]
        rate = f"{entry['active'] / entry['population']:.1%}" if entry["population"] else "-"
        lines.append(
            (
                entry["group"],
                entry["window"],
                str(entry["population"]),
                str(entry["active"]),
                rate,
                str(entry["inactive"]),
                str(entry["never_active"]),
                str(entry["excused"]),
                str(entry["onboarding"]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    title = f"as of {report['as_of']}, by {report['by']}"
    body = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in lines]
    return "\n".join([title, *body])


# ---------------------------------------------------------------------------------------------
# directory load


@click.group("directory")
def directory() -> None:
    """Load the employee directory (department, team, manager, location, country)."""


@directory.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "entra-ndjson", "jsonl"]),
    help="Input format. Default: from the extension (.csv, .jsonl, .ndjson for Entra ID records).",
)
@click.option(
    "--mapping",
    default="cert",
    show_default=True,
    help="CSV column mapping: the preset cert or entra-csv, or a JSON file {field: column header}.",
)
@click.option(
    "--snapshot",
    is_flag=True,
    help="Each file is the complete directory on its effective date; users it omits are leavers from that date.",
)
@click.option("--effective", type=click.DateTime(formats=["%Y-%m-%d"]), help="Effective date (YYYY-MM-DD) of every file.")
@click.option(
    "--effective-from-name",
    is_flag=True,
    help="Take each file's effective date from its name: YYYY-MM-DD, or YYYY-MM for the 1st of the month.",
)
@click.option("--service-pattern", help="Regular expression; user ids that match it become service accounts.")
@click.option(
    "--problems-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every problem found (file, line, value, reason) to this CSV file.",
)
@click.option("--fail-on-problems", is_flag=True, help="Store nothing and exit with status 1 if any problem is found.")
@common_options
def directory_load(
    files: tuple[Path, ...],
    fmt: str | None,
    mapping: str,
    snapshot: bool,
    effective: dt.datetime | None,
    effective_from_name: bool,
    service_pattern: str | None,
    problems_csv: Path | None,
    fail_on_problems: bool,
    data_dir: Path | None,
    broker: str | None,
    reporting_timezone: str | None,
    log_level: str | None,
) -> None:
    """Read directory FILES and add them to the directory history.

    Several snapshots can be loaded in one run, for example 18 monthly files with
    --snapshot --effective-from-name; the history is rebuilt once.
    """
    if (effective is None) == (not effective_from_name):
        raise click.UsageError("give exactly one of --effective DATE or --effective-from-name")
    settings = load_settings(data_dir=data_dir, broker=broker, log_level=log_level)
    try:
        csv_mapping = load_mapping(mapping)
        loads, problems = [], []
        for path in files:
            day = effective.date() if effective else _date_from_name(path)
            result = read_directory(path, fmt or _format_from_suffix(path), csv_mapping, service_pattern)
            problems.extend(result.problems)
            loads.append(DirectoryLoad(result.profiles, day, snapshot, str(path)))
        _report_problems(problems, problems_csv)
        if problems and fail_on_problems:
            raise click.ClickException(f"{len(problems)} problem(s) found; nothing was stored")
        summaries = store_directory_loads(settings.warehouse_dir, loads)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from exc
    for summary in summaries:
        click.echo(
            f"{summary.effective}: {summary.listed} users listed, {summary.new} new, "
            f"{summary.changed} changed, {summary.left} left"
        )
    _publish_directory(settings)


def _publish_directory(settings: Settings) -> None:
    """Send the current profiles to the directory topic when a broker is reachable."""
    from pipeline.directory.publish import current_profiles, publish_profiles
    from pipeline.topics import ensure_topics

    bootstrap = reachable_broker(settings)
    if bootstrap is None:
        click.echo(
            f"not published to {settings.directory_topic}: no broker configured and none running in "
            f"{settings.data_dir} (the warehouse history is stored)"
        )
        return
    ensure_topics(settings, bootstrap)
    count = publish_profiles(settings, bootstrap, current_profiles(settings.warehouse_dir / "directory" / "history.parquet"))
    click.echo(f"published {count} current profiles to {settings.directory_topic}")


def _format_from_suffix(path: Path) -> str:
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise click.UsageError(f"{path}: cannot tell the format from the extension; pass --format")
    return fmt


def _date_from_name(path: Path) -> dt.date:
    match = _DATE_IN_NAME.search(path.name)
    if match is None:
        raise click.UsageError(f"{path}: the name contains no YYYY-MM or YYYY-MM-DD date; pass --effective")
    year, month, day = match.group(1), match.group(2), match.group(3) or "01"
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise click.UsageError(f"{path}: invalid date in the name: {exc}") from exc


def _report_problems(problems: Sequence[Problem], problems_csv: Path | None) -> None:
    if not problems:
        return
    for problem in problems[:_SHOWN_PROBLEMS]:
        click.echo(f"problem: {problem}", err=True)
    if len(problems) > _SHOWN_PROBLEMS:
        click.echo(f"... and {len(problems) - _SHOWN_PROBLEMS} more problem(s)", err=True)
    if problems_csv is not None:
        with problems_csv.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "value", "reason"])
            for problem in problems:
                writer.writerow([problem.file, problem.line or "", problem.value or "", problem.reason])
        click.echo(f"all {len(problems)} problem(s) written to {problems_csv}", err=True)


# ---------------------------------------------------------------------------------------------
# absences load


@click.group("absences")
def absences() -> None:
    """Load absences (vacation, sick, parental, other) that excuse people from activity."""


@absences.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="The files are the complete list of absences; stored ones are dropped.")
@click.option("--fail-on-problems", is_flag=True, help="Store nothing and exit with status 1 if any problem is found.")
@common_options
def absences_load(
    files: tuple[Path, ...],
    replace: bool,
    fail_on_problems: bool,
    data_dir: Path | None,
    broker: str | None,
    reporting_timezone: str | None,
    log_level: str | None,
) -> None:
    """Read absence FILES (CSV or JSONL: user_id, start, end, reason) and store them.

    The absences are stored in the warehouse and, when a broker is reachable, also sent to the
    absences topic keyed by user id.
    """
    settings = load_settings(data_dir=data_dir, broker=broker, log_level=log_level)
    try:
        found, problems = [], []
        for path in files:
            result = read_absences(path)
            found.extend(result.absences)
            problems.extend(result.problems)
        _report_problems(problems, None)
        if problems and fail_on_problems:
            raise click.ClickException(f"{len(problems)} problem(s) found; nothing was stored")
        total = store_absences(settings.warehouse_dir, found, replace=replace)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(found)} absence(s) read, {total} stored in total")
    bootstrap = reachable_broker(settings)
    if bootstrap is None:
        click.echo(f"not published to {settings.absences_topic}: no broker configured and none running in {settings.data_dir}")
        return
    from pipeline.directory.publish import publish_absences
    from pipeline.topics import ensure_topics

    ensure_topics(settings, bootstrap)
    click.echo(f"published {publish_absences(settings, bootstrap, found)} absences to {settings.absences_topic}")


# ---------------------------------------------------------------------------------------------
# export inactive


@click.group("export")
def export() -> None:
    """Export lists for adoption and HR teams."""


@export.command("inactive")
@click.option("--days", type=click.IntRange(min=1), required=True, help="Window length in days, ending on --as-of.")
@click.option(
    "--by",
    type=click.Choice(EXPORT_DIMENSIONS),
    default="department",
    show_default=True,
    help="Group of the counts sheet and first sort key of the list.",
)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), help="Default: from the extension of -o.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of headers and statuses.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output file.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the window (YYYY-MM-DD). Default: today in the reporting time zone.",
)
@click.option("--grace-days", type=click.IntRange(min=0), default=DEFAULT_GRACE_DAYS, show_default=True, help="Days after employment start during which a new hire is onboarding.")
@click.option(
    "--excuse-threshold",
    type=click.FloatRange(min=0.0, max=1.0),
    default=DEFAULT_EXCUSE_THRESHOLD,
    show_default=True,
    help="Share of the window's days on leave that excuses a person.",
)
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter; use ';' for Excel with the regional settings of Spain.")
@click.option("--no-bom", is_flag=True, help="Write the CSV without the UTF-8 byte order mark.")
@common_options
def export_inactive(
    days: int,
    by: str,
    fmt: str | None,
    lang: str,
    output: Path,
    as_of: dt.datetime | None,
    grace_days: int,
    excuse_threshold: float,
    delimiter: str,
    no_bom: bool,
    data_dir: Path | None,
    broker: str | None,
    reporting_timezone: str | None,
    log_level: str | None,
) -> None:
    """Export the people who are inactive or were never active in the last --days days."""
    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.UsageError(f"cannot tell the format of {output}; pass --format xlsx or --format csv")
    if len(delimiter) != 1:
        raise click.BadParameter(f"{delimiter!r} is not one character; use ',' or ';'", param_hint="--delimiter")
    if not output.parent.is_dir():
        raise click.BadParameter(f"folder {output.parent} does not exist; create it first", param_hint="-o")
    settings = load_settings(data_dir=data_dir, reporting_timezone=reporting_timezone, log_level=log_level)
    if not (settings.data_dir / "socialitica.duckdb").exists() and not settings.warehouse_dir.is_dir():
        raise click.ClickException(
            f"no warehouse at {settings.data_dir}: pass the --data-dir the worker uses "
            "(or start it with `socialitica run --data-dir DIR`)"
        )
    try:
        con = open_reporting_connection(settings.data_dir, settings.reporting_timezone)
    except SocialiticaError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_of is not None:
        day = as_of.date()
    elif settings.clock == "replay":
        row = con.execute("SELECT max(day) FROM user_days").fetchone()
        if row is None or row[0] is None:
            raise click.ClickException("the warehouse has no events yet, so the replay clock has no day")
        day = row[0]
    else:
        day = today_in(settings.reporting_timezone)
    try:
        result = build_inactive_export(con, day, days, by, grace_days, excuse_threshold)
    finally:
        con.close()
    if fmt == "xlsx":
        write_inactive_xlsx(result, output, lang)
    else:
        write_inactive_csv(result, output, lang, bom=not no_bom, delimiter=delimiter)
    click.echo(f"{len(result.rows)} people written to {output} (as of {day}, last {days} days)", err=True)
