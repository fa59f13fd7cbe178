"""Directory readers: CSV with a column mapping, Entra ID user records and canonical JSONL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import orjson

from pipeline.directory.errors import InputFormatError
from pipeline.directory.managers import ManagerRef, PendingProfile, resolve_managers
from pipeline.directory.records import PROFILE_FIELDS, LoadResult, Problem
from pipeline.directory.textfiles import iter_csv_rows, iter_json_objects
from pipeline.directory.values import (
    clean_text,
    normalize_email,
    normalize_user_id,
    parse_account_type,
    parse_bool,
    parse_date,
)

DirectoryFormat = Literal["csv", "entra-ndjson", "jsonl"]

# Mapping targets besides the profile fields: a manager named by display name or e-mail.
MANAGER_TARGETS = {"manager_name": "display_name", "manager_email": "email"}


@dataclass(frozen=True)
class CsvMapping:
    """Column mapping of a directory CSV: the source column of each profile field.

    `columns` maps a profile field, `manager_name` or `manager_email` to a column header.
    `values` maps a field to a translation table from case-folded source values to profile
    values, for example from Entra ID's userType "Member" to the account type "person".
    """

    columns: Mapping[str, str]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(PROFILE_FIELDS) - set(MANAGER_TARGETS)
        if unknown:
            raise InputFormatError(
                f"unknown mapping target(s) {sorted(unknown)}; expected profile fields "
                f"{list(PROFILE_FIELDS)} or {list(MANAGER_TARGETS)}"
            )
        if "user_id" not in self.columns:
            raise InputFormatError("the column mapping has no column for user_id")


# CERT Insider Threat r4.2 LDAP snapshots; the supervisor is a display name.
CERT_LDAP_MAPPING = CsvMapping(
    columns={
        "user_id": "user_id",
        "display_name": "employee_name",
        "email": "email",
        "department": "department",
        "team": "team",
        "manager_name": "supervisor",
    }
)

# Entra ID (Azure AD) user export as collected by Log Analytics (AADUserInfo table).
ENTRA_CSV_MAPPING = CsvMapping(
    columns={
        "user_id": "UserPrincipalName_s",
        "display_name": "DisplayName_s",
        "email": "Mail_s",
        "department": "Department_s",
        "location": "City_s",
        "country": "Country_s",
        "account_type": "UserType_s",
        "enabled": "AccountEnabled_b",
    },
    values={"account_type": {"member": "person", "guest": "guest"}},
)

MAPPING_PRESETS: dict[str, CsvMapping] = {"cert": CERT_LDAP_MAPPING, "entra-csv": ENTRA_CSV_MAPPING}


def load_mapping(name_or_path: str) -> CsvMapping:
    """Return a preset mapping by name, or read one from a JSON file.

    The file contains {"columns": {field: header}, "values": {...}} or just {field: header}.
    """
    if name_or_path in MAPPING_PRESETS:
        return MAPPING_PRESETS[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise InputFormatError(
            f"mapping {name_or_path!r} is neither a preset ({', '.join(MAPPING_PRESETS)}) nor a file"
        )
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputFormatError(f"{path}: invalid JSON in the column mapping: {exc}") from exc
    if not isinstance(data, dict):
        raise InputFormatError(f"{path}: the column mapping must be a JSON object")
    if "columns" in data:
        return CsvMapping(columns=data["columns"], values=data.get("values", {}))
    return CsvMapping(columns=data)


def read_directory(
    path: Path,
    fmt: DirectoryFormat,
    mapping: CsvMapping | None = None,
    service_id_pattern: str | None = None,
) -> LoadResult:
    """Read one directory file of the given format.

    Rows without a user id are skipped; a user listed twice keeps the later row. Invalid
    values are left empty (account types default to person) and reported as problems.
    User ids matching `service_id_pattern` (a regular expression) get account type service
    unless the source gave another non-person type.
    """
    if fmt == "csv":
        result = read_csv_directory(path, mapping or CERT_LDAP_MAPPING)
    elif fmt == "entra-ndjson":
        result = read_entra_ndjson(path)
    elif fmt == "jsonl":
        result = read_canonical_jsonl(path)
    else:
        raise InputFormatError(f"unknown directory format {fmt!r}; expected csv, entra-ndjson or jsonl")
    if service_id_pattern:
        pattern = re.compile(service_id_pattern)
        result.profiles = [
            replace(p, account_type="service")
            if p.account_type == "person" and pattern.search(p.user_id)
            else p
            for p in result.profiles
        ]
    return result


def read_csv_directory(path: Path, mapping: CsvMapping) -> LoadResult:
    """Read a directory CSV (UTF-8, optional BOM) whose columns are named by `mapping`."""
    file = str(path)
    problems: list[Problem] = []
    pending: list[PendingProfile] = []
    for line, row in iter_csv_rows(path, lambda header: _missing_columns(mapping, header)):
        raw: dict[str, Any] = {}
        for target, column in mapping.columns.items():
            value = clean_text(row.get(column))
            translations = mapping.values.get(target)
            if value is not None and translations:
                value = translations.get(value.casefold(), value)
            raw[target] = value
        manager = None
        if raw.get("manager_id"):
            manager = ManagerRef("user_id", raw["manager_id"])
        elif raw.get("manager_name"):
            manager = ManagerRef("display_name", raw["manager_name"])
        elif raw.get("manager_email"):
            manager = ManagerRef("email", raw["manager_email"])
        fields = _profile_fields(raw, file, line, problems)
        if fields is not None:
            pending.append(PendingProfile(line, fields, manager))
    return _finish(pending, file, problems)


def read_entra_ndjson(path: Path) -> LoadResult:
    """Read Entra ID user records (Elastic entity analytics documents, one JSON object a line).

    The user id is the lower-cased userPrincipalName, as in Entra ID sign-in events. The
    location is the city, or else officeLocation. A manager given with its
    userPrincipalName is taken as is; one given only by object id is looked up among the
    file's users.
    """
    file = str(path)
    problems: list[Problem] = []
    pending: list[PendingProfile] = []
    object_ids: dict[str, str] = {}
    for line, doc in iter_json_objects(path, problems):
        user = doc.get("azure_ad")
        if not isinstance(user, dict):
            problems.append(Problem(file, line, None, "record has no azure_ad object; skipped"))
            continue
        mfa = user.get("mfa") if isinstance(user.get("mfa"), dict) else {}
        raw = {
            "user_id": user.get("userPrincipalName"),
            "display_name": user.get("displayName"),
            "email": user.get("mail"),
            "department": user.get("department"),
            "location": user.get("city") or user.get("officeLocation"),
            "country": user.get("country") or user.get("usageLocation"),
            "employment_start": user.get("employeeHireDate"),
            "account_type": user.get("userType") or mfa.get("userType"),
            "enabled": user.get("accountEnabled"),
        }
        if isinstance(raw["account_type"], str):
            raw["account_type"] = ENTRA_CSV_MAPPING.values["account_type"].get(
                raw["account_type"].casefold(), raw["account_type"]
            )
        manager = None
        boss = user.get("manager")
        if isinstance(boss, dict) and clean_text(boss.get("userPrincipalName")):
            manager = ManagerRef("user_id", str(boss["userPrincipalName"]))
        elif isinstance(boss, dict) and clean_text(boss.get("id")):
            manager = ManagerRef("source_id", str(boss["id"]))
        fields = _profile_fields(raw, file, line, problems)
        if fields is None:
            continue
        object_id = (doc.get("user") or {}).get("id") if isinstance(doc.get("user"), dict) else None
        if object_id:
            object_ids[str(object_id)] = str(fields["user_id"])
        pending.append(PendingProfile(line, fields, manager))
    return _finish(pending, file, problems, object_ids)


def read_canonical_jsonl(path: Path) -> LoadResult:
    """Read profiles in the canonical JSONL format, whose keys are the profile field names."""
    file = str(path)
    problems: list[Problem] = []
    pending: list[PendingProfile] = []
    reported_keys: set[str] = set()
    for line, doc in iter_json_objects(path, problems):
        for key in doc.keys() - set(PROFILE_FIELDS) - reported_keys:
            reported_keys.add(key)
            problems.append(Problem(file, line, key, "unknown field ignored (reported once per file)"))
        manager_id = clean_text(doc.get("manager_id"))
        fields = _profile_fields(doc, file, line, problems)
        if fields is not None:
            manager = ManagerRef("user_id", manager_id) if manager_id else None
            pending.append(PendingProfile(line, fields, manager))
    return _finish(pending, file, problems)


def _profile_fields(
    raw: Mapping[str, Any], file: str, line: int, problems: list[Problem]
) -> dict[str, object] | None:
    """Validate one row's values; return the profile fields except manager_id, or None to skip the row."""
    user_id = normalize_user_id(raw.get("user_id"))
    if user_id is None:
        problems.append(Problem(file, line, None, "missing user id; row skipped"))
        return None
    fields: dict[str, object] = {
        "user_id": user_id,
        "display_name": clean_text(raw.get("display_name")),
        "email": normalize_email(raw.get("email")),
        "department": clean_text(raw.get("department")),
        "team": clean_text(raw.get("team")),
        "location": clean_text(raw.get("location")),
        "country": clean_text(raw.get("country")),
    }

    start, reason = parse_date(raw.get("employment_start"))
    if reason:
        problems.append(Problem(file, line, str(raw.get("employment_start")), reason + "; left empty"))
    fields["employment_start"] = start

    account_type, reason = parse_account_type(raw.get("account_type"))
    if reason:
        problems.append(Problem(file, line, str(raw.get("account_type")), reason + "; person assumed"))
    fields["account_type"] = account_type or "person"

    enabled, reason = parse_bool(raw.get("enabled"))
    if reason:
        problems.append(Problem(file, line, str(raw.get("enabled")), reason + "; enabled assumed"))
    fields["enabled"] = True if enabled is None else enabled
    return fields


def _finish(
    pending: list[PendingProfile],
    file: str,
    problems: list[Problem],
    source_ids: Mapping[str, str] | None = None,
) -> LoadResult:
    """Keep the last row per user id, then resolve managers within the file."""
    latest: dict[str, PendingProfile] = {}
    for row in pending:
        user_id = str(row.fields["user_id"])
        if user_id in latest:
            earlier = latest.pop(user_id).line
            problems.append(
                Problem(file, row.line, user_id, f"user listed again (first on line {earlier}); the later row is kept")
            )
        latest[user_id] = row
    profiles, manager_problems = resolve_managers(list(latest.values()), file, source_ids)
    return LoadResult(profiles=profiles, problems=problems + manager_problems)


def _missing_columns(mapping: CsvMapping, header: list[str]) -> str | None:
    missing = sorted(set(mapping.columns.values()) - set(header))
    return f"column(s) {missing} named by the mapping are missing" if missing else None
