"""The `report` command: active and login-active users per window, from the warehouse."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.table import Table

from pipeline.cli.options import common_options, load_settings
from pipeline.errors import SocialiticaError
from pipeline.report import activity_report, newest_activity_day, today
from sinks.warehouse import connect_readonly


@click.command()
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of every window (YYYY-MM-DD) [default: today, or the newest event's day with --clock replay].",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", help="Output format.")
@click.option(
    "--by",
    type=click.Choice(["department", "team", "location", "country", "manager", "manager_subtree"]),
    default=None,
    help="Break the population down by a directory field: population, active, inactive, never active, excused, onboarding.",
)
@click.option(
    "--clock",
    type=click.Choice(["wall", "replay"]),
    default=None,
    help="Default --as-of: 'wall' is today, 'replay' the newest event's day [env SOCIALITICA_CLOCK].",
)
@common_options
def report(
    as_of: datetime | None,
    output_format: str,
    by: str | None,
    clock: str | None,
    data_dir: Path | None,
    broker: str | None,
    reporting_timezone: str | None,
    log_level: str | None,
) -> None:
    """Print known users and active and login-active users for 1, 7, 30 and 365 days."""
    settings = load_settings(
        data_dir=data_dir, broker=broker, reporting_timezone=reporting_timezone, log_level=log_level, clock=clock
    )
    try:
        connection = connect_readonly(settings.data_dir, settings.reporting_timezone)
    except SocialiticaError as exc:
        raise click.ClickException(str(exc)) from exc
    with connection:
        day: date | None
        if as_of is not None:
            day = as_of.date()
        elif settings.clock == "replay":
            day = newest_activity_day(connection)
            if day is None:
                raise click.ClickException("the warehouse has no events yet, so the replay clock has no day")
        else:
            day = today(connection)
        if by is not None:
            from pipeline.cli.hr import build_report_by, format_report_by

            document = build_report_by(connection, settings.warehouse_dir, by, day)
            click.echo(format_report_by(document, "json" if output_format == "json" else "text"))
            return
        result = activity_report(connection, day)

    if output_format == "json":
        click.echo(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"Users as of {result.as_of} ({settings.reporting_timezone})")
    table.add_column("window")
    table.add_column("active", justify="right")
    table.add_column("login-active", justify="right")
    for window, count in result.active_users.items():
        table.add_row(window, str(count), str(result.login_active_users[window]))
    Console().print(table)
    click.echo(f"known users: {result.known_users}")
