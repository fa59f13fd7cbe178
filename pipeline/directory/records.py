"""Profile, absence and load-problem records shared by the directory loaders and sinks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

AccountType = Literal["person", "service", "bot", "guest"]
ACCOUNT_TYPES: tuple[str, ...] = ("person", "service", "bot", "guest")

AbsenceReason = Literal["vacation", "sick", "parental", "other"]
ABSENCE_REASONS: tuple[str, ...] = ("vacation", "sick", "parental", "other")

# Column order of a profile in memory, in the canonical JSONL format and in Parquet.
PROFILE_FIELDS: tuple[str, ...] = (
    "user_id",
    "display_name",
    "email",
    "department",
    "team",
    "manager_id",
    "location",
    "country",
    "employment_start",
    "account_type",
    "enabled",
)


@dataclass(frozen=True, slots=True)
class Profile:
    """One user's directory entry as listed by one source on one effective date."""

    user_id: str
    display_name: str | None = None
    email: str | None = None
    department: str | None = None
    team: str | None = None
    manager_id: str | None = None
    location: str | None = None
    country: str | None = None
    employment_start: dt.date | None = None
    account_type: AccountType = "person"
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Absence:
    """A leave of one user from `start` to `end`, both days inclusive."""

    user_id: str
    start: dt.date
    end: dt.date
    reason: AbsenceReason


@dataclass(frozen=True, slots=True)
class Problem:
    """An input value that was rejected or not resolved; `line` is 1-based, None for file-level problems."""

    file: str
    line: int | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        shown = "" if self.value is None else f" {self.value!r}"
        return f"{where}:{shown} {self.reason}"


@dataclass(slots=True)
class LoadResult:
    """Records read from one file and the problems found while reading it."""

    profiles: list[Profile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class AbsenceLoadResult:
    """Absences read from one file and the problems found while reading it."""

    absences: list[Absence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
