"""The `socialitica` command line."""

from __future__ import annotations

import click

from pipeline.broker.cli import broker as broker_group
from pipeline.cli.hr import absences, directory, export
from pipeline.cli.ingest import ingest
from pipeline.cli.report import report
from pipeline.cli.run import run, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="socialitica")
def main() -> None:
    """Socialítica: who uses your enterprise social network, streamed from Kafka.

    Settings come from flags and SOCIALITICA_* environment variables.
    """


main.add_command(run)
main.add_command(worker)
main.add_command(ingest)
main.add_command(report)
main.add_command(directory)
main.add_command(absences)
main.add_command(export)
main.add_command(broker_group)
