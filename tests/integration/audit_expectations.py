"""Expected canonical events of an audit-log file, derived from its raw records.

Each ``expect_*`` function restates one format's rules from docs/formats.md as plain Python
filters on the raw fields, without importing `pipeline.adapters`, so the integration tests
can compare what the worker counted with figures the product did not compute. Only the rules
that turn a record into an event or a rejection are restated. A record that no rule maps
counts as ignored, whatever the reason the adapter gives for ignoring it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

WINDOWS_DAYS = {"1d": 1, "7d": 7, "30d": 30, "365d": 365}

SUCCESS, FAILURE, INTERACTION = "success", "failure", "interaction"


@dataclass(frozen=True)
class ExpectedEvent:
    """One canonical event: a login (``success`` or ``failure``) or an interaction."""

    action: str
    user_id: str
    at: datetime
    kind: str | None = None
    app: str | None = None


@dataclass(frozen=True)
class RecordOutcome:
    """What one raw record should become: events, a rejection, or neither (ignored)."""

    events: tuple[ExpectedEvent, ...] = ()
    rejected: bool = False


IGNORED = RecordOutcome()
REJECTED = RecordOutcome(rejected=True)


# --- Reading raw records -------------------------------------------------------------


def raw_records(path: Path) -> list[bytes]:
    """Split a sample file into one byte string per record, as a producer would send them.

    A file whose first non-blank character is ``[`` is one JSON array, and each element is
    serialised again. Any other file is JSON lines, and each non-blank line is kept as is.
    """
    data = path.read_bytes()
    if data.lstrip().startswith(b"["):
        return [json.dumps(element).encode() for element in json.loads(data)]
    return [line for line in data.splitlines() if line.strip()]


# --- Shared field rules --------------------------------------------------------------


def canonical_user(value: Any) -> str | None:
    """Apply the user id rules: strip, lower-case e-mails and UPNs, integral numbers as digits."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    return text.lower() if "@" in text else text


def parse_time(text: str, naive_zone: tzinfo | None = None) -> datetime:
    """Read an ISO 8601 time as aware UTC, in ``naive_zone`` when the text has no zone.

    Mattermost writes a space before the zone (``2021-12-04 23:19:32.051 Z``), so a space
    there is dropped first. Python 3.11 reads ``Z`` and truncates seven-digit fractions.
    """
    compact = re.sub(r"\s+(?=(Z|[+-]\d{2}:?\d{2})$)", "", text.strip())
    moment = datetime.fromisoformat(compact)
    if moment.tzinfo is None:
        if naive_zone is None:
            raise ValueError(f"time {text!r} has no zone")
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(UTC)


def epoch_time(value: float) -> datetime:
    """Read an epoch number as seconds below 1e11, milliseconds below 1e14, else microseconds."""
    if value < 1e11:
        seconds = value
    elif value < 1e14:
        seconds = value / 1e3
    else:
        seconds = value / 1e6
    return datetime.fromtimestamp(seconds, UTC)


def login(outcome: str, user: str, at: datetime) -> RecordOutcome:
    return RecordOutcome((ExpectedEvent(outcome, user, at),))


def interaction(user: str, at: datetime, kind: str, app: str) -> RecordOutcome:
    return RecordOutcome((ExpectedEvent(INTERACTION, user, at, kind, app),))


# --- Microsoft 365 -------------------------------------------------------------------

M365_LOGINS = {"UserLoggedIn": SUCCESS, "UserLoginFailed": FAILURE, "TeamsSessionStarted": SUCCESS}

YAMMER_KINDS = {
    "MessageCreated": "post", "MessageUpdated": "edit", "FileUpdateDescription": "edit",
    "FileUpdateName": "edit", "MessageDeleted": "delete", "MessageViewed": "view",
    "FileVisited": "view", "FileCreated": "upload", "FileDownloaded": "download",
    "FileShared": "share", "GroupCreation": "create",
}  # fmt: skip

TEAMS_KINDS = {
    "TeamCreated": "create", "ChannelAdded": "create", "ChatCreated": "create",
    "TeamDeleted": "delete", "ChannelDeleted": "delete", "MessageDeleted": "delete",
    "MessageSent": "message", "MessageCreatedHasLink": "message",
    "MessageUpdated": "edit", "MessageEditedHasLink": "edit",
}  # fmt: skip

FILE_KINDS = {
    "FileAccessed": "view", "FilePreviewed": "view", "PageViewed": "view", "ClientViewSignaled": "view",
    "FileDownloaded": "download", "FileSyncDownloadedFull": "download",
    "FileUploaded": "upload", "FileSyncUploadedFull": "upload",
    "FileModified": "edit", "FileRenamed": "edit", "FileMoved": "edit", "FileCheckedIn": "edit",
    "ListItemUpdated": "edit",
    "FileCopied": "create", "FolderCreated": "create", "ListItemCreated": "create",
    "FileDeleted": "delete", "FileRecycled": "delete", "FolderDeleted": "delete",
    "FolderRecycled": "delete", "ListItemRecycled": "delete",
    "SharingSet": "share", "SharingInvitationCreated": "share", "AnonymousLinkCreated": "share",
    "CompanyLinkCreated": "share", "SecureLinkCreated": "share",
}  # fmt: skip

# Interaction kinds per workload, with the app each workload's interactions are counted under.
M365_WORKLOADS: dict[str, tuple[str, dict[str, str]]] = {
    "Yammer": ("yammer", YAMMER_KINDS),
    "MicrosoftTeams": ("teams", TEAMS_KINDS),
    "SharePoint": ("sharepoint", FILE_KINDS),
    "OneDrive": ("onedrive", FILE_KINDS),
}


def expect_m365(record: dict[str, Any]) -> RecordOutcome:
    # UserType 0 is a regular user and 2 an admin. Type 5 (Application) and the others are not people.
    if "UserType" in record and int(record["UserType"]) not in (0, 2):
        return IGNORED
    if record.get("UserId") in ("app@sharepoint", "Application"):
        return IGNORED

    operation = record.get("Operation")
    outcome = M365_LOGINS.get(operation)
    app, kinds = M365_WORKLOADS.get(record.get("Workload"), ("", {}))
    kind = kinds.get(operation)
    if outcome is None and kind is None:
        return IGNORED

    user = canonical_user(record.get("UserId"))
    if user is None or user == "Unknown":
        return REJECTED
    at = parse_time(record["CreationTime"], naive_zone=UTC)
    if outcome is not None:
        return login(outcome, user, at)
    return interaction(user, at, kind, app)


# --- Entra ID sign-in logs -----------------------------------------------------------

ENTRA_USER_CATEGORIES = {"SignInLogs", "NonInteractiveUserSignInLogs"}


def expect_entra_signin(record: dict[str, Any]) -> RecordOutcome:
    if record.get("category") not in ENTRA_USER_CATEGORIES:
        return IGNORED
    properties = record.get("properties") or {}
    result = record.get("resultType")
    if result is None:
        result = (properties.get("status") or {}).get("errorCode")
    try:
        code = int(result)
    except (TypeError, ValueError):
        return REJECTED

    user = canonical_user(properties.get("userPrincipalName")) or canonical_user(properties.get("userId"))
    if user is None:
        return REJECTED
    at = parse_time(properties.get("createdDateTime") or record["time"])
    return login(SUCCESS if code == 0 else FAILURE, user, at)


# --- Okta System Log -----------------------------------------------------------------

OKTA_LOGIN_TYPES = {"user.session.start", "user.authentication.sso"}
OKTA_OUTCOMES = {"SUCCESS": SUCCESS, "FAILURE": FAILURE}


def _okta_fields(record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None, list[Any]]:
    """Return (actor, outcome result, published, targets) from the nested or the Sentinel layout."""
    if "actor_alternateId" in record or "published_t" in record:
        actor = {
            "type": record.get("actor_type"),
            "id": record.get("actor_id"),
            "alternateId": record.get("actor_alternateId"),
        }
        targets = record.get("target")
        if isinstance(targets, str):
            targets = json.loads(targets) if targets.strip() else []
        return actor, record.get("outcome_result"), record.get("published_t"), targets or []
    outcome = record.get("outcome") or {}
    return record.get("actor") or {}, outcome.get("result"), record.get("published"), record.get("target") or []


def expect_okta(record: dict[str, Any]) -> RecordOutcome:
    actor, result, published, targets = _okta_fields(record)
    if actor.get("type") != "User":
        return IGNORED
    event_type = record.get("eventType")
    alternate = actor.get("alternateId")
    user = canonical_user(alternate if alternate not in (None, "", "unknown") else actor.get("id"))

    if event_type in OKTA_LOGIN_TYPES:
        outcome = OKTA_OUTCOMES.get(result or "")
        if outcome is None or user is None:
            return REJECTED
        return login(outcome, user, parse_time(published or ""))

    own_profile = any(
        isinstance(target, dict) and target.get("type") == "User" and target.get("id") == actor.get("id")
        for target in targets
    )
    if event_type == "user.account.update_profile" and result == "SUCCESS" and own_profile:
        if user is None:
            return REJECTED
        return interaction(user, parse_time(published or ""), "edit", "profiles")
    return IGNORED


# --- Google Workspace ----------------------------------------------------------------

GOOGLE_LOGINS = {"login_success": SUCCESS, "login_failure": FAILURE}


def expect_google_workspace(record: dict[str, Any]) -> RecordOutcome:
    identity = record.get("id") or {}
    if identity.get("applicationName") != "login":
        return IGNORED
    actor = record.get("actor") or {}
    # NOTE: docs/formats.md ignores callerType values other than USER but does not say what a
    # record without callerType is, so it counts as a user here.
    if actor.get("callerType", "USER") != "USER":
        return IGNORED
    events = record.get("events")
    if events is None:
        return REJECTED
    if isinstance(events, dict):
        events = [events]

    outcomes = [GOOGLE_LOGINS[event["name"]] for event in events if event.get("name") in GOOGLE_LOGINS]
    if not outcomes:
        return IGNORED
    user = canonical_user(actor.get("email")) or canonical_user(actor.get("profileId"))
    if user is None:
        return REJECTED
    at = parse_time(identity["time"])
    return RecordOutcome(tuple(ExpectedEvent(outcome, user, at) for outcome in outcomes))


# --- Slack ---------------------------------------------------------------------------

SLACK_LOGINS = {"user_login": SUCCESS, "user_login_failed": FAILURE}
SLACK_KINDS = {
    "file_downloaded": "download", "file_uploaded": "upload", "file_shared": "share",
    "file_public_link_created": "share", "user_channel_join": "join",
    "public_channel_created": "create", "private_channel_created": "create",
}  # fmt: skip


def expect_slack(record: dict[str, Any]) -> RecordOutcome:
    actor = record.get("actor") or {}
    actor_user = actor.get("user") or {}
    if actor.get("type") != "user" or actor_user.get("id") == "USLACKUSER":
        return IGNORED
    action = record.get("action")
    if action not in SLACK_LOGINS and action not in SLACK_KINDS:
        return IGNORED

    user = canonical_user(actor_user.get("email")) or canonical_user(actor_user.get("id"))
    if user is None:
        return REJECTED
    at = epoch_time(float(record["date_create"]))
    if action in SLACK_LOGINS:
        return login(SLACK_LOGINS[action], user, at)
    return interaction(user, at, SLACK_KINDS[action], "slack")


# --- Mattermost ----------------------------------------------------------------------

MATTERMOST_LOGINS = {"success": SUCCESS, "fail": FAILURE}
MATTERMOST_KINDS = {
    "updatePost": "edit", "patchPost": "edit", "deletePost": "delete", "createChannel": "create",
}  # fmt: skip


def _mattermost_kind(event: str, record: dict[str, Any], user: str | None) -> tuple[str, str] | None:
    """Return (kind, app) of a user action, or None when the event is not one."""
    if event == "createPost":
        post = record.get("post") or ((record.get("event") or {}).get("parameters") or {}).get("post") or {}
        return ("reply" if post.get("root_id") else "post"), "mattermost"
    if event in MATTERMOST_KINDS:
        return MATTERMOST_KINDS[event], "mattermost"
    if event.startswith("uploadFile"):
        return "upload", "mattermost"
    if event in ("patchUser", "updateUser"):
        # An edit of another user's profile is an admin action, not the actor's own activity.
        edited = (record.get("patch") or {}).get("id")
        return ("edit", "profiles") if edited is not None and edited == user else None
    return None


def expect_mattermost(record: dict[str, Any]) -> RecordOutcome:
    # NOTE: of the event_name schema only the actor's user_id and event.parameters.post are read,
    # which is enough for posts and logins with a user id.
    if "event_name" in record:
        event = record.get("event_name") or ""
        raw_user = (record.get("actor") or {}).get("user_id")
    else:
        event = record.get("event") or ""
        raw_user = record.get("user_id")
    user = canonical_user(raw_user)
    status = record.get("status")

    if event == "login":
        # The login record is written before a session exists, so its user_id is empty and
        # the authenticated user, when there is one, is in "user".
        user = user or canonical_user((record.get("user") or {}).get("id"))
        if user is None:
            return REJECTED
        if status not in MATTERMOST_LOGINS:
            return IGNORED
        return login(MATTERMOST_LOGINS[status], user, parse_time(record["timestamp"]))

    label = _mattermost_kind(event, record, user)
    if label is None or status != "success":
        return IGNORED
    if user is None:
        return REJECTED
    kind, app = label
    return interaction(user, parse_time(record["timestamp"]), kind, app)


EXPECTERS: dict[str, Callable[[dict[str, Any]], RecordOutcome]] = {
    "m365": expect_m365,
    "entra-signin": expect_entra_signin,
    "okta": expect_okta,
    "google-workspace": expect_google_workspace,
    "slack": expect_slack,
    "mattermost": expect_mattermost,
}


# --- Figures of a whole file ---------------------------------------------------------


@dataclass(frozen=True)
class FileExpectation:
    """Expected results of one audit-log file: per-record outcomes and the events they make."""

    records: int
    outcomes: tuple[RecordOutcome, ...] = field(repr=False)

    @classmethod
    def from_file(cls, path: Path, format_name: str) -> FileExpectation:
        expect = EXPECTERS[format_name]
        outcomes = tuple(expect(json.loads(raw)) for raw in raw_records(path))
        return cls(len(outcomes), outcomes)

    @property
    def events(self) -> list[ExpectedEvent]:
        return [event for outcome in self.outcomes for event in outcome.events]

    @property
    def mapped_records(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.events)

    @property
    def rejected_records(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.rejected)

    @property
    def ignored_records(self) -> int:
        return self.records - self.mapped_records - self.rejected_records

    def count(self, action: str) -> int:
        return sum(1 for event in self.events if event.action == action)

    @property
    def users(self) -> set[str]:
        return {event.user_id for event in self.events}

    @property
    def interaction_labels(self) -> Counter[tuple[str, str]]:
        """Interactions per (kind, app)."""
        return Counter((event.kind, event.app) for event in self.events if event.action == INTERACTION)

    @property
    def warehouse_actions(self) -> Counter[str]:
        """Events per `daily_activity.action`: login_success, login_failure or the interaction kind."""
        names = {SUCCESS: "login_success", FAILURE: "login_failure"}
        return Counter(names.get(event.action) or event.kind for event in self.events)

    @property
    def user_days(self) -> dict[tuple[str, date], tuple[int, int, int]]:
        """(logins, failed_logins, interactions) per user and UTC day, as in the `user_days` view."""
        counts: dict[tuple[str, date], list[int]] = {}
        column = {SUCCESS: 0, FAILURE: 1, INTERACTION: 2}
        for event in self.events:
            row = counts.setdefault((event.user_id, event.at.date()), [0, 0, 0])
            row[column[event.action]] += 1
        return {key: (row[0], row[1], row[2]) for key, row in counts.items()}

    @property
    def newest_day(self) -> date:
        """UTC day of the newest event, failed logins included: the replay clock's today."""
        return max(event.at for event in self.events).date()

    def report(self, as_of: date) -> dict[str, Any]:
        """The `socialitica report --format json` document as of ``as_of``, in UTC days."""
        active_days: dict[str, set[date]] = {}
        login_days: dict[str, set[date]] = {}
        for event in self.events:
            if event.action == FAILURE:
                continue
            active_days.setdefault(event.user_id, set()).add(event.at.date())
            if event.action == SUCCESS:
                login_days.setdefault(event.user_id, set()).add(event.at.date())

        def users_within(days_by_user: dict[str, set[date]], window: int) -> int:
            first = as_of - timedelta(days=window - 1)
            return sum(1 for days in days_by_user.values() if any(first <= day <= as_of for day in days))

        return {
            "as_of": as_of.isoformat(),
            "known_users": len({event.user_id for event in self.events if event.at.date() <= as_of}),
            "active_users": {label: users_within(active_days, days) for label, days in WINDOWS_DAYS.items()},
            "login_active_users": {label: users_within(login_days, days) for label, days in WINDOWS_DAYS.items()},
        }
