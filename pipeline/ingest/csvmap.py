"""CSV files with a column mapping, read by DuckDB so large and gzipped files stream quickly."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import orjson

from pipeline.errors import SocialiticaError
from pipeline.events import EventDecoder
from pipeline.ingest.items import IngestItem, Rejected, Skipped, TopicKind, canonical_value, validated
from pipeline.timestamps import InvalidTimestamp, parse_timestamp

FETCH_ROWS = 10_000


class MappingError(SocialiticaError):
    """The column mapping does not fit the CSV file."""


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Column mapping from CSV rows to canonical events.

    ``time_format`` is a strptime format (e.g. '%m/%d/%Y %H:%M:%S'); without it the time column
    must hold RFC 3339 or epoch values. Times without an offset are read in ``source_timezone``.
    ``keep`` and ``skip`` are column=value conditions: a row is sent only when it matches every
    ``keep`` condition and no ``skip`` condition.
    """

    user_column: str
    time_column: str
    source_timezone: str = "UTC"
    time_format: str | None = None
    event_id_column: str | None = None
    outcome: str = "success"
    outcome_column: str | None = None
    kind: str | None = None
    kind_column: str | None = None
    app: str = "other"
    app_column: str | None = None
    content_id_column: str | None = None
    keep: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    skip: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def referenced_columns(self) -> set[str]:
        named = {
            self.user_column, self.time_column, self.event_id_column, self.outcome_column,
            self.kind_column, self.app_column, self.content_id_column,
        }  # fmt: skip
        named.update(column for column, _ in self.keep + self.skip)
        return {column for column in named if column}


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def count_rows(path: Path) -> int:
    with duckdb.connect() as connection:
        row = connection.execute(
            "SELECT count(*) FROM read_csv(?, all_varchar = true, header = true)", [str(path)]
        ).fetchone()
    return int(row[0]) if row else 0


def read_csv_events(
    path: Path, topic: TopicKind, mapping: CsvMapping, decoder: EventDecoder
) -> Iterator[tuple[int, IngestItem]]:
    """Yield (rows read so far, item) for every data row of the file."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    try:
        yield from _read_rows(connection, path, topic, mapping, decoder)
    except duckdb.Error as exc:
        raise MappingError(
            f"{path}: the CSV could not be read: {str(exc).splitlines()[0]}. Fix the file; a file in another "
            "encoding can be converted with `iconv -f latin1 -t utf-8`"
        ) from exc
    finally:
        connection.close()


def _read_rows(
    connection: duckdb.DuckDBPyConnection, path: Path, topic: TopicKind, mapping: CsvMapping, decoder: EventDecoder
) -> Iterator[tuple[int, IngestItem]]:
    columns = [
        row[0]
        for row in connection.execute(
            "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true)", [str(path)]
        ).fetchall()
    ]
    unknown = sorted(mapping.referenced_columns() - set(columns))
    if unknown:
        raise MappingError(f"{path}: column(s) {unknown} not found; the file has {columns}")

    time_sql = "NULL"
    parameters: list[object] = [str(path)]
    if mapping.time_format:
        time_sql = f"epoch(timezone(?, try_strptime({_quoted(mapping.time_column)}, ?)))"
        parameters = [mapping.source_timezone, mapping.time_format, str(path)]
    cursor = connection.execute(
        f"SELECT {time_sql} AS __epoch, * FROM read_csv(?, all_varchar = true, header = true)", parameters
    )
    names = ["__epoch", *columns]
    read = 0
    while batch := cursor.fetchmany(FETCH_ROWS):
        for values in batch:
            read += 1
            row = dict(zip(names, values, strict=True))
            yield read, _row_item(path, read + 1, row, topic, mapping, decoder)


def _row_item(
    path: Path, line: int, row: dict[str, object], topic: TopicKind, mapping: CsvMapping, decoder: EventDecoder
) -> IngestItem:
    for column, value in mapping.keep:
        if row.get(column) != value:
            return Skipped(line, f"{column} is not {value!r}")
    for column, value in mapping.skip:
        if row.get(column) == value:
            return Skipped(line, f"{column} is {value!r}")

    raw = orjson.dumps({key: value for key, value in row.items() if key != "__epoch"})
    time_value = row.get(mapping.time_column)
    if mapping.time_format:
        epoch = row["__epoch"]
        if epoch is None:
            return Rejected(
                line,
                "invalid_timestamp",
                f"{mapping.time_column}={time_value!r} does not match the time format {mapping.time_format!r}",
                raw,
            )
        seconds = float(epoch)  # type: ignore[arg-type]
    else:
        try:
            seconds = parse_timestamp(time_value, ZoneInfo(mapping.source_timezone))
        except InvalidTimestamp as exc:
            return Rejected(line, "invalid_timestamp", str(exc), raw)

    event_id = row.get(mapping.event_id_column) if mapping.event_id_column else None
    if not event_id:
        event_id = hashlib.blake2b(f"{path.name}:{line}:".encode() + raw, digest_size=12).hexdigest()
    fields: dict[str, object] = {
        "event_id": event_id,
        "user_id": row.get(mapping.user_column),
        "timestamp": datetime.fromtimestamp(seconds, UTC).isoformat(),
    }
    if topic == "logins":
        fields["outcome"] = row.get(mapping.outcome_column) if mapping.outcome_column else mapping.outcome
    else:
        fields["kind"] = row.get(mapping.kind_column) if mapping.kind_column else mapping.kind
        fields["app"] = row.get(mapping.app_column) if mapping.app_column else mapping.app
        if mapping.content_id_column:
            fields["content_id"] = row.get(mapping.content_id_column)
    item = validated(decoder, topic, canonical_value(fields), line)
    if isinstance(item, Rejected):
        return Rejected(line, item.reason, item.detail, raw)
    return item
