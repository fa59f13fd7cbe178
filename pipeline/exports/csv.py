"""CSV file of the inactive-people export."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.exports.i18n import labels_for
from pipeline.exports.inactive import ROW_FIELDS, InactiveExport


def write_inactive_csv(
    export: InactiveExport,
    path: Path,
    language: str = "en",
    bom: bool = True,
    delimiter: str = ",",
) -> None:
    """Write one row per person, with a translated header, in UTF-8.

    With `bom`, the file starts with a UTF-8 byte order mark: Excel on Windows needs it to
    read the file as UTF-8 rather than the ANSI code page, which would garble "País" or
    "Último". Dates are ISO 8601 (YYYY-MM-DD), which Excel reads as dates in any locale.
    Spanish-locale Excel in Spain expects ";" as the delimiter when a file is opened by
    double-click.
    """
    labels = labels_for(language)
    encoding = "utf-8-sig" if bom else "utf-8"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([labels.columns[name] for name in ROW_FIELDS])
        for row in export.rows:
            values = [getattr(row, name) for name in ROW_FIELDS]
            values[ROW_FIELDS.index("status")] = labels.status(row.status)
            writer.writerow(["" if value is None else value for value in values])
