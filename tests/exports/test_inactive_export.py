"""Inactive-people export on the CERT replay, read back with openpyxl and the csv module."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli.hr import export
from pipeline.exports.csv import write_inactive_csv
from pipeline.exports.i18n import labels_for
from pipeline.exports.inactive import ROW_FIELDS, build_inactive_export
from pipeline.exports.xlsx import write_inactive_xlsx
from sinks.hr import connect_hr

AS_OF = dt.date(2011, 3, 31)

EN_HEADER = [
    "User ID",
    "Name",
    "Email",
    "Department",
    "Team",
    "Manager",
    "Location",
    "Country",
    "Last login",
    "Last activity",
    "Days since last activity",
    "Status",
]
ES_HEADER = [
    "ID de usuario",
    "Nombre",
    "Correo electrónico",
    "Departamento",
    "Equipo",
    "Responsable",
    "Ubicación",
    "País",
    "Último inicio de sesión",
    "Última actividad",
    "Días sin actividad",
    "Estado",
]


@pytest.fixture(scope="module")
def export_1d(cert_warehouse: Path):
    """The 1-day export as of 2011-03-31, which lists both inactive and never-active people."""
    return build_inactive_export(connect_hr(cert_warehouse), AS_OF, 1)


@pytest.mark.parametrize(("language", "header"), [("en", EN_HEADER), ("es", ES_HEADER)])
def test_xlsx_headers_per_language(export_1d, tmp_path: Path, language: str, header: list[str]) -> None:
    path = tmp_path / f"inactive-{language}.xlsx"
    write_inactive_xlsx(export_1d, path, language)

    sheet = openpyxl.load_workbook(path).worksheets[0]

    assert [cell.value for cell in sheet[1]] == header


def test_xlsx_rows_match_raw_counts(export_1d, cert_raw, tmp_path: Path) -> None:
    path = tmp_path / "inactive.xlsx"
    write_inactive_xlsx(export_1d, path, "es")
    workbook = openpyxl.load_workbook(path)
    people, counts_sheet = workbook.worksheets[0], workbook.worksheets[1]
    expected = cert_raw.counts(AS_OF, 1)
    status_column = [cell.value for cell in people["L"][1:]]

    assert people.max_row - 1 == sum(g["inactive"] + g["never_active"] for g in expected.values())
    assert status_column.count("Inactivo") == sum(g["inactive"] for g in expected.values())
    assert status_column.count("Nunca activo") == sum(g["never_active"] for g in expected.values())
    by_group = {row[0]: row[1:5] for row in counts_sheet.iter_rows(min_row=2, values_only=True)}
    assert by_group["Sin asignar"] == tuple(
        expected["unassigned"][k] for k in ("population", "active", "inactive", "never_active")
    )
    assert by_group["1 - Research"] == tuple(
        expected["1 - Research"][k] for k in ("population", "active", "inactive", "never_active")
    )


def test_xlsx_cells_are_typed(export_1d, tmp_path: Path) -> None:
    path = tmp_path / "inactive.xlsx"
    write_inactive_xlsx(export_1d, path, "en")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    inactive_rows = [row for row in sheet.iter_rows(min_row=2) if row[11].value == "Inactive"]
    never_rows = [row for row in sheet.iter_rows(min_row=2) if row[11].value == "Never active"]

    assert inactive_rows and never_rows
    for row in inactive_rows:
        last_activity, days_since = row[9], row[10]
        assert last_activity.is_date
        assert isinstance(last_activity.value, dt.datetime)
        assert last_activity.value.date() < AS_OF
        assert isinstance(days_since.value, int)
        assert days_since.value == (AS_OF - last_activity.value.date()).days
    for row in never_rows:
        assert row[9].value is None
        assert row[10].value is None


def test_xlsx_frozen_header_and_autofilter(export_1d, tmp_path: Path) -> None:
    path = tmp_path / "inactive.xlsx"
    write_inactive_xlsx(export_1d, path, "en")
    workbook = openpyxl.load_workbook(path)

    for sheet in workbook.worksheets[:2]:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert sheet["A1"].font.bold
    people = workbook.worksheets[0]
    assert people.column_dimensions["C"].width > people.column_dimensions["A"].width
    assert all(8 <= people.column_dimensions[c].width <= 60 for c in "ABCDEFGHIJKL")


def test_csv_has_bom_and_translated_statuses(export_1d, tmp_path: Path) -> None:
    path = tmp_path / "inactive.csv"
    write_inactive_csv(export_1d, path, "es", delimiter=";")

    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))

    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[0] == ES_HEADER
    assert len(rows) - 1 == len(export_1d.rows)
    assert {row[11] for row in rows[1:]} == {"Inactivo", "Nunca activo"}
    inactive = next(row for row in rows[1:] if row[11] == "Inactivo")
    assert dt.date.fromisoformat(inactive[9]) < AS_OF


def test_csv_without_bom(export_1d, tmp_path: Path) -> None:
    path = tmp_path / "inactive.csv"
    write_inactive_csv(export_1d, path, "en", bom=False)

    assert path.read_bytes().startswith("User ID,".encode())


def test_export_command_writes_xlsx(cert_warehouse: Path, cert_raw, tmp_path: Path) -> None:
    data_dir = cert_warehouse.parent
    output = tmp_path / "inactivos.xlsx"

    result = CliRunner().invoke(
        export,
        [
            "inactive", "--days", "30", "--by", "team", "--lang", "es", "--as-of", "2011-03-31",
            "-o", str(output), "--data-dir", str(data_dir),
        ],
    )

    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(output)
    expected = cert_raw.counts(AS_OF, 30)
    assert workbook.sheetnames == ["Personas inactivas", "Recuento por grupo", "Información"]
    assert workbook.worksheets[0].max_row - 1 == sum(g["inactive"] + g["never_active"] for g in expected.values())
    assert workbook.worksheets[1]["A1"].value == "Equipo"


def test_labels_cover_every_column_and_status() -> None:
    for language in ("en", "es"):
        labels = labels_for(language)
        assert set(labels.columns) == set(ROW_FIELDS)
        assert {"active", "inactive", "never_active", "excused", "onboarding", "disabled", "excluded"} <= set(
            labels.statuses
        )
    assert labels_for("es").status("excused") == "De baja/ausente"
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        labels_for("fr")
