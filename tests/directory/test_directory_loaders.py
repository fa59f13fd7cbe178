"""Directory and absence readers on the real input files and on crafted edge cases."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.directory.absences import read_absences
from pipeline.directory.errors import InputFormatError
from pipeline.directory.loaders import (
    CERT_LDAP_MAPPING,
    ENTRA_CSV_MAPPING,
    CsvMapping,
    load_mapping,
    read_directory,
)
from tests.directory.hr_support import CERT_LDAP_DIR, FORMATS_DIR, require


def test_cert_snapshot_resolves_every_supervisor() -> None:
    result = read_directory(require(CERT_LDAP_DIR / "2009-12.csv"), "csv", CERT_LDAP_MAPPING)
    by_id = {p.user_id: p for p in result.profiles}

    assert len(result.profiles) == 1000
    assert result.problems == []
    assert by_id["CEL0561"].display_name == "Calvin Edan Love"
    assert by_id["CEL0561"].email == "calvin.edan.love@dtaa.com"
    assert by_id["CEL0561"].department == "2 - SoftwareManagement"
    assert by_id["CEL0561"].team == "3 - Software"
    # The supervisor "Stephanie Briar Harrington" resolves to her user id in the same file.
    assert by_id[by_id["CEL0561"].manager_id].display_name == "Stephanie Briar Harrington"
    # The president has no supervisor and no department.
    assert by_id["MSS0001"].manager_id is None
    assert by_id["MSS0001"].department is None


def test_cert_manager_names_ambiguous_and_unknown(tmp_path: Path) -> None:
    source = require(CERT_LDAP_DIR / "2009-12.csv").read_text(encoding="utf-8").splitlines()
    header, first, second = source[0], source[1], source[2]
    # Two users share the first row's supervisor name, and one supervisor name matches no user.
    first_fields = first.split(",")
    boss_name = first_fields[-1]
    extra = [
        f"{boss_name},DUP0001,dup1@dtaa.com,Role,1,x,Dept,Team,",
        f"{boss_name},DUP0002,dup2@dtaa.com,Role,1,x,Dept,Team,",
        "Lone Worker,LON0001,lone@dtaa.com,Role,1,x,Dept,Team,Nobody Of That Name",
        "Self Boss,SLF0001,self@dtaa.com,Role,1,x,Dept,Team,Self Boss",
    ]
    path = tmp_path / "ldap.csv"
    path.write_text("\n".join([header, first, second, *extra]) + "\n", encoding="utf-8")

    result = read_directory(path, "csv", CERT_LDAP_MAPPING)
    by_id = {p.user_id: p for p in result.profiles}
    reasons = {(p.line, p.value): p.reason for p in result.problems}

    assert by_id[first_fields[1]].manager_id is None
    assert "matches 2 users (DUP0001, DUP0002)" in reasons[(2, boss_name)]
    assert by_id["LON0001"].manager_id is None
    assert "matches no user" in reasons[(6, "Nobody Of That Name")]
    assert by_id["SLF0001"].manager_id is None
    assert "themself" in reasons[(7, "Self Boss")]
    assert all(p.file == str(path) for p in result.problems)


def test_entra_ndjson_records() -> None:
    path = require(FORMATS_DIR / "entityanalytics_entra_id__test-users.events.ndjson")
    result = read_directory(path, "entra-ndjson")
    by_id = {p.user_id: p for p in result.profiles}

    assert sorted(by_id) == [
        "first21480.last11836@example.com",
        "first45375.last58638@example.com",
        "first99001.last99002@example.com",
    ]
    assert by_id["first45375.last58638@example.com"].enabled is False
    assert by_id["first99001.last99002@example.com"].manager_id == "manager.one@example.com"
    assert by_id["first21480.last11836@example.com"].location == "608 St N, Somewhere, ABC, XYZ"
    # The user is listed twice; the later record (without department) wins and is reported.
    assert by_id["first21480.last11836@example.com"].department is None
    assert [(p.line, p.value) for p in result.problems] == [(2, "first21480.last11836@example.com")]


def test_entra_csv_with_service_pattern() -> None:
    path = require(FORMATS_DIR / "entra_directory__contoso.csv")
    result = read_directory(path, "csv", ENTRA_CSV_MAPPING, service_id_pattern=r"^adsync@")
    by_id = {p.user_id: p for p in result.profiles}

    assert len(by_id) == 6
    assert result.problems == []
    assert by_id["adsync@domain.onmicrosoft.com"].account_type == "service"
    assert by_id["lisav@domain.onmicrosoft.com"].account_type == "person"
    assert by_id["lisav@domain.onmicrosoft.com"].department == "Human Resources"
    assert by_id["lisav@domain.onmicrosoft.com"].location == "Redmond"
    assert by_id["jeffl@domain.onmicrosoft.com"].enabled is True


def test_canonical_jsonl_reports_invalid_values(tmp_path: Path) -> None:
    path = tmp_path / "directory.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"user_id": " Ana@Example.com ", "display_name": "Ana", "department": "Ventas",'
                ' "country": "ES", "employment_start": "2024-02-01", "account_type": "person", "enabled": true}',
                '{"user_id": "bot-1", "account_type": "robot", "enabled": "maybe", "employment_start": "01/02/2024"}',
                '{"display_name": "No Id"}',
                "not json",
                '{"user_id": "luis@example.com", "manager_id": "Ana@Example.com", "shoe_size": 42}',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = read_directory(path, "jsonl")
    by_id = {p.user_id: p for p in result.profiles}
    problem_lines = sorted((p.line, re.split("[,;:]", p.reason)[0]) for p in result.problems)

    assert by_id["ana@example.com"].employment_start == dt.date(2024, 2, 1)
    assert by_id["ana@example.com"].country == "ES"
    assert by_id["bot-1"].account_type == "person"
    assert by_id["bot-1"].enabled is True
    assert by_id["bot-1"].employment_start is None
    assert by_id["luis@example.com"].manager_id == "ana@example.com"
    assert problem_lines == [
        (2, "invalid account type"),
        (2, "invalid boolean"),
        (2, "invalid date"),
        (3, "missing user id"),
        (4, "invalid JSON"),
        (5, "unknown field ignored (reported once per file)"),
    ]


def test_csv_mapping_missing_column_raises(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,name\nu1,Ana\n", encoding="utf-8")

    with pytest.raises(InputFormatError, match="missing"):
        read_directory(path, "csv", CsvMapping(columns={"user_id": "id", "department": "dept"}))


def test_mapping_file_and_presets(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text('{"user_id": "Empleado", "manager_email": "Correo jefe"}', encoding="utf-8")

    assert load_mapping("cert") is CERT_LDAP_MAPPING
    assert load_mapping(str(path)).columns == {"user_id": "Empleado", "manager_email": "Correo jefe"}
    with pytest.raises(InputFormatError, match="neither a preset"):
        load_mapping("no-such-mapping")


def test_csv_with_bom_and_manager_email(tmp_path: Path) -> None:
    path = tmp_path / "plantilla.csv"
    path.write_text(
        "Empleado;Nombre;Correo;Correo jefe\n".replace(";", ",")
        + "e1,Ana Pérez,ana@example.com,\n"
        + "e2,Luis Gómez,luis@example.com,ANA@example.com\n"
        + "e3,Eva Ruiz,eva@example.com,nadie@example.com\n",
        encoding="utf-8-sig",
    )
    mapping = CsvMapping(
        columns={"user_id": "Empleado", "display_name": "Nombre", "email": "Correo", "manager_email": "Correo jefe"}
    )

    result = read_directory(path, "csv", mapping)
    by_id = {p.user_id: p for p in result.profiles}

    assert by_id["e1"].display_name == "Ana Pérez"
    assert by_id["e2"].manager_id == "e1"
    assert by_id["e3"].manager_id is None
    assert [(p.line, p.value) for p in result.problems] == [(4, "nadie@example.com")]


def test_absences_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = tmp_path / "absences.csv"
    csv_path.write_text(
        "user_id,start,end,reason\n"
        "u1,2024-03-01,2024-03-10,vacation\n"
        "u1,2024-03-01,2024-03-10,vacation\n"
        "u2,2024-03-10,2024-03-01,sick\n"
        "u3,2024-03-01,2024-03-02,holiday\n"
        ",2024-03-01,2024-03-02,other\n",
        encoding="utf-8",
    )
    jsonl_path = tmp_path / "absences.jsonl"
    jsonl_path.write_text(
        '{"user_id": "U4@Example.com", "start": "2024-04-01", "end": "2024-04-30", "reason": "Parental"}\n'
        '{"user_id": "u5", "start": "2024-04-01", "reason": "sick"}\n',
        encoding="utf-8",
    )

    from_csv = read_absences(csv_path)
    from_jsonl = read_absences(jsonl_path)

    assert [(a.user_id, a.start, a.end, a.reason) for a in from_csv.absences] == [
        ("u1", dt.date(2024, 3, 1), dt.date(2024, 3, 10), "vacation")
    ]
    assert [p.line for p in from_csv.problems] == [4, 5, 6]
    assert [(a.user_id, a.reason) for a in from_jsonl.absences] == [("u4@example.com", "parental")]
    assert [(p.line, p.reason) for p in from_jsonl.problems] == [(2, "missing end date; row skipped")]
