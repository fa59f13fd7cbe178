"""Resolution of manager references (user id, display name, e-mail, source id) to user ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pipeline.directory.records import Problem, Profile
from pipeline.directory.values import normalize_display_name, normalize_email, normalize_user_id

ManagerKind = Literal["user_id", "display_name", "email", "source_id"]


@dataclass(frozen=True, slots=True)
class ManagerRef:
    """A manager as the source names it: by user id, display name, e-mail or a source-specific id."""

    kind: ManagerKind
    value: str


@dataclass(slots=True)
class PendingProfile:
    """A parsed row whose manager reference is not yet resolved to a user id."""

    line: int
    fields: dict[str, object] = field(default_factory=dict)
    manager: ManagerRef | None = None


def resolve_managers(
    pending: Sequence[PendingProfile],
    file: str,
    source_ids: Mapping[str, str] | None = None,
) -> tuple[list[Profile], list[Problem]]:
    """Build profiles, resolving each manager reference against the users of the same file.

    A display name or e-mail that matches no user, or a display name that matches several,
    leaves manager_id empty and adds a problem: the resolver never picks one of several
    candidates. A user id is taken as given, even when that user is not in the file.
    `source_ids` maps source-specific ids (Entra ID object ids) to user ids.
    """
    by_name: dict[str, list[str]] = defaultdict(list)
    by_email: dict[str, list[str]] = defaultdict(list)
    for row in pending:
        user_id = str(row.fields["user_id"])
        if row.fields.get("display_name"):
            by_name[normalize_display_name(str(row.fields["display_name"]))].append(user_id)
        if row.fields.get("email"):
            by_email[str(row.fields["email"])].append(user_id)

    profiles: list[Profile] = []
    problems: list[Problem] = []
    for row in pending:
        manager_id, reason = _resolve_one(row.manager, by_name, by_email, source_ids or {})
        if manager_id is not None and manager_id == row.fields["user_id"]:
            manager_id, reason = None, "manager is the user themself; manager left empty"
        if reason is not None and row.manager is not None:
            problems.append(Problem(file, row.line, row.manager.value, reason))
        profiles.append(Profile(manager_id=manager_id, **row.fields))  # type: ignore[arg-type]
    return profiles, problems


def _resolve_one(
    ref: ManagerRef | None,
    by_name: Mapping[str, list[str]],
    by_email: Mapping[str, list[str]],
    source_ids: Mapping[str, str],
) -> tuple[str | None, str | None]:
    if ref is None:
        return None, None
    if ref.kind == "user_id":
        return normalize_user_id(ref.value), None
    if ref.kind == "source_id":
        if ref.value in source_ids:
            return source_ids[ref.value], None
        return None, "manager id not found among the users of this file; manager left empty"

    if ref.kind == "email":
        candidates = by_email.get(normalize_email(ref.value) or "", [])
        label = "manager e-mail"
    else:
        candidates = by_name.get(normalize_display_name(ref.value), [])
        label = "manager name"
    if not candidates:
        return None, f"{label} matches no user in this file; manager left empty"
    if len(candidates) > 1:
        listed = ", ".join(sorted(candidates))
        return None, f"{label} matches {len(candidates)} users ({listed}); manager left empty"
    return candidates[0], None
