"""Options every command takes, and the conversion of flags into the one Settings object."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.errors import SocialiticaError
from pipeline.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def common_options(function: F) -> F:
    """Add --data-dir, --broker and the reporting options to a command."""
    options = [
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Folder of the local broker, table state and warehouse [env SOCIALITICA_DATA_DIR; default ./data].",
        ),
        click.option(
            "--broker",
            default=None,
            help="Kafka bootstrap servers such as kafka://host:9092 [env SOCIALITICA_BROKER; default: the local "
            "broker of --data-dir].",
        ),
        click.option(
            "--reporting-timezone",
            default=None,
            help="IANA zone in which days are counted [env SOCIALITICA_REPORTING_TIMEZONE; default UTC].",
        ),
        click.option(
            "--log-level",
            type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
            default=None,
            help="Log level [env SOCIALITICA_LOG_LEVEL; default INFO].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def load_settings(**flags: Any) -> Settings:
    """Build the settings from the environment and the given flags, as a click usage error."""
    try:
        settings = Settings.load(**{key: value for key, value in flags.items() if value is not None})
    except SocialiticaError as exc:
        raise click.UsageError(str(exc)) from exc
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # kafka-python logs every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(max(logging.getLevelName(settings.log_level), logging.WARNING))
    return settings
