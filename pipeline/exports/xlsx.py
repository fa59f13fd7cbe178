"""Excel workbook of the inactive-people export: people, counts per group and an about sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.exports.i18n import Labels, labels_for
from pipeline.exports.inactive import ROW_FIELDS, InactiveExport

# Excel's built-in number format 14 shows a date in the reader's regional short date format,
# such as 31/03/2011 in Spain. openpyxl 3.1 saves the format string "mm-dd-yy" as id 14.
DATE_FORMAT = "mm-dd-yy"
PERCENT_FORMAT = "0.0%"
_MIN_WIDTH = 8
_MAX_WIDTH = 60
_DATE_WIDTH = 12

_COUNT_FIELDS = ("population", "active", "inactive", "never_active", "excused", "onboarding", "active_rate")


def write_inactive_xlsx(export: InactiveExport, path: Path, language: str = "en") -> None:
    """Write the export as an .xlsx workbook with typed date and number cells.

    Each table sheet has a bold header row that stays frozen while scrolling and an autofilter.
    """
    labels = labels_for(language)
    workbook = Workbook()
    people = workbook.active
    people.title = labels.sheet_people
    _fill_people(people, export, labels)
    _fill_counts(workbook.create_sheet(labels.sheet_counts), export, labels)
    _fill_about(workbook.create_sheet(labels.sheet_about), export, labels)
    workbook.save(path)


def _fill_people(sheet: Worksheet, export: InactiveExport, labels: Labels) -> None:
    sheet.append([labels.columns[name] for name in ROW_FIELDS])
    for row in export.rows:
        values = [getattr(row, name) for name in ROW_FIELDS]
        values[ROW_FIELDS.index("status")] = labels.status(row.status)
        sheet.append(values)
    _format_table(sheet)


def _fill_counts(sheet: Worksheet, export: InactiveExport, labels: Labels) -> None:
    sheet.append([labels.dimensions[export.by]] + [labels.counts_columns[name] for name in _COUNT_FIELDS])
    for counts in export.counts:
        values = [getattr(counts, name) for name in _COUNT_FIELDS]
        sheet.append([labels.group(counts.group)] + values)
    for cell in sheet[get_column_letter(len(_COUNT_FIELDS) + 1)][1:]:
        cell.number_format = PERCENT_FORMAT
    _format_table(sheet)


def _fill_about(sheet: Worksheet, export: InactiveExport, labels: Labels) -> None:
    sheet.append([labels.about["as_of"], export.as_of])
    sheet.append([labels.about["window"], export.days])
    sheet.append([labels.about["by"], labels.dimensions[export.by]])
    sheet.append([labels.about["rows"], len(export.rows)])
    sheet.append([labels.about["definition"], labels.about["definition_text"]])
    sheet["B1"].number_format = DATE_FORMAT
    for cell in sheet["A"]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100


def _format_table(sheet: Worksheet) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.iter_cols():
        _format_column(sheet, column)


def _format_column(sheet: Worksheet, column: Sequence) -> None:
    letter = get_column_letter(column[0].column)
    width = len(str(column[0].value or ""))
    for cell in column[1:]:
        if isinstance(cell.value, dt.date):
            cell.number_format = DATE_FORMAT
            width = max(width, _DATE_WIDTH)
        elif cell.value is not None:
            width = max(width, len(str(cell.value)))
    sheet.column_dimensions[letter].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
