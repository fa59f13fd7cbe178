"""The `socialitica` command line."""

from __future__ import annotations

import click
import duckdb
from kafka.errors import KafkaError

from pipeline.broker.cli import broker as broker_group
from pipeline.cli.bench import bench
from pipeline.cli.hr import absences, directory, export
from pipeline.cli.ingest import ingest
from pipeline.cli.report import report
from pipeline.cli.run import run, worker
from pipeline.errors import SocialiticaError


class SocialiticaGroup(click.Group):
    """Turn the errors a user can act on into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SocialiticaError as exc:
            raise click.ClickException(str(exc)) from exc
        except KafkaError as exc:
            raise click.ClickException(
                f"Kafka request failed: {exc}; check that the broker runs (--broker, SOCIALITICA_BROKER "
                "or `socialitica run`) and that the message fits its size limit"
            ) from exc
        except duckdb.Error as exc:
            raise click.ClickException(f"DuckDB failed: {str(exc).splitlines()[0]}") from exc
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise click.ClickException(
                f"cannot use{where}: {exc.strerror or exc}; check the path and its permissions, "
                "or pass another --data-dir or output file"
            ) from exc


@click.group(cls=SocialiticaGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
main.add_command(bench)
