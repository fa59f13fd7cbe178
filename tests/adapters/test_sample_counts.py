"""Adapter output on every sample log, checked against figures computed from the raw records.

Each oracle below restates the documented mapping of its format (docs/formats.md) as a
DuckDB query or a few plain Python filters on the raw fields. None of them calls
`pipeline.adapters`, so a wrong mapping, a lost record or a shifted timestamp in an
adapter makes the comparison fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.adapters import InteractionEvent, LoginEvent, Mapped, adapt_file, get_adapter

from .samples import AUDIT_LOG_FORMATS, format_sample

# A row of an oracle: ("success" | "failure" | "interaction", user id, epoch seconds).
Row = tuple[str, str, float]


@dataclass(frozen=True)
class Figures:
    successes: int
    failures: int
    interactions: int
    users: frozenset[str]
    event_times: tuple[float, ...]
    distinct_event_ids: int | None

    @classmethod
    def from_rows(cls, rows: Iterable[Row], distinct_event_ids: int | None) -> Figures:
        rows = list(rows)
        return cls(
            successes=sum(1 for action, _, _ in rows if action == "success"),
            failures=sum(1 for action, _, _ in rows if action == "failure"),
            interactions=sum(1 for action, _, _ in rows if action == "interaction"),
            users=frozenset(user for _, user, _ in rows),
            event_times=tuple(sorted(round(seconds, 3) for _, _, seconds in rows)),
            distinct_event_ids=distinct_event_ids,
        )


def adapter_figures(path: Path, format_name: str) -> Figures:
    rows: list[Row] = []
    event_ids: set[str] = set()
    for _, result in adapt_file(get_adapter(format_name), path):
        if not isinstance(result, Mapped):
            continue
        for event in result.events:
            seconds = datetime.fromisoformat(event.timestamp).timestamp()
            if isinstance(event, LoginEvent):
                rows.append((event.outcome, event.user_id, seconds))
            else:
                assert isinstance(event, InteractionEvent)
                rows.append(("interaction", event.user_id, seconds))
            event_ids.add(event.event_id)
    return Figures.from_rows(rows, len(event_ids))


# --- Oracles -------------------------------------------------------------------------


def _duckdb() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _query_rows(path: Path, sql: str) -> list[Row]:
    return [
        (action, user, float(seconds))
        for action, user, seconds in _duckdb().execute(sql, [str(path)]).fetchall()
    ]


def _query_count(path: Path, sql: str) -> int:
    (count,) = _duckdb().execute(sql, [str(path)]).fetchone() or (0,)
    return int(count)


# UserType 0 (Regular) and 2 (Admin) are people, and UserId "Unknown" names no user.
M365_LOGIN_WHERE = """
    WHERE Operation IN ('UserLoggedIn', 'UserLoginFailed')
      AND CAST(UserType AS INTEGER) IN (0, 2)
      AND UserId <> 'Unknown'
"""

# TeamsSessionStarted is a sign-in; the other listed operations are the user actions
# of Microsoft's Teams activity table.
M365_TEAMS_WHERE = """
    WHERE CAST(UserType AS INTEGER) IN (0, 2)
      AND Operation IN ('TeamsSessionStarted', 'TeamCreated', 'ChannelAdded', 'ChatCreated',
                        'TeamDeleted', 'ChannelDeleted', 'MessageSent', 'MessageCreatedHasLink',
                        'MessageUpdated', 'MessageEditedHasLink', 'MessageDeleted')
"""

YAMMER_USER_OPERATIONS = {
    "MessageCreated", "MessageUpdated", "MessageDeleted", "MessageViewed", "FileCreated",
    "FileDownloaded", "FileShared", "FileVisited", "FileUpdateDescription", "FileUpdateName",
    "GroupCreation",
}  # fmt: skip


def oracle_m365_logins(path: Path) -> Figures:
    sql = f"""
        SELECT CASE Operation WHEN 'UserLoggedIn' THEN 'success' ELSE 'failure' END,
               lower(trim(UserId)), epoch(CreationTime::TIMESTAMP)
        FROM read_json_auto(?) {M365_LOGIN_WHERE}
    """
    distinct = _query_count(
        path, f"SELECT count(DISTINCT Id) FROM read_json_auto(?) {M365_LOGIN_WHERE}"
    )
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_m365_teams(path: Path) -> Figures:
    sql = f"""
        SELECT CASE Operation WHEN 'TeamsSessionStarted' THEN 'success' ELSE 'interaction' END,
               lower(trim(UserId)), epoch(CreationTime::TIMESTAMP)
        FROM read_json_auto(?) {M365_TEAMS_WHERE}
    """
    distinct = _query_count(
        path, f"SELECT count(DISTINCT Id) FROM read_json_auto(?) {M365_TEAMS_WHERE}"
    )
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_m365_yammer(path: Path) -> Figures:
    # DuckDB rejects the duplicate key in this file, so the standard library parses it;
    # like orjson, it keeps the last value of a duplicated key.
    rows: list[Row] = []
    ids: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["Workload"] != "Yammer" or int(record["UserType"]) not in (0, 2):
            continue
        if record["Operation"] not in YAMMER_USER_OPERATIONS:
            continue
        created = datetime.fromisoformat(record["CreationTime"]).replace(tzinfo=UTC)
        rows.append(("interaction", record["UserId"].strip().lower(), created.timestamp()))
        ids.add(record["Id"])
    return Figures.from_rows(rows, len(ids))


def oracle_entra(path: Path) -> Figures:
    # resultType "0" is success; only the two categories of people count.
    sql = """
        SELECT CASE resultType WHEN '0' THEN 'success' ELSE 'failure' END,
               CASE WHEN contains(properties.userPrincipalName, '@')
                    THEN lower(properties.userPrincipalName)
                    ELSE properties.userPrincipalName END,
               epoch(properties.createdDateTime::TIMESTAMPTZ)
        FROM read_json_auto(?)
        WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs')
    """
    distinct = _query_count(
        path,
        "SELECT count(DISTINCT (properties.id, category)) FROM read_json_auto(?) "
        "WHERE category IN ('SignInLogs', 'NonInteractiveUserSignInLogs')",
    )
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_okta_nested(path: Path) -> Figures:
    where = """
        WHERE actor.type = 'User'
          AND eventType IN ('user.session.start', 'user.authentication.sso')
          AND outcome.result IN ('SUCCESS', 'FAILURE')
    """
    sql = f"""
        SELECT CASE outcome.result WHEN 'SUCCESS' THEN 'success' ELSE 'failure' END,
               lower(actor.alternateId), epoch(published)
        FROM read_json_auto(?) {where}
    """
    distinct = _query_count(
        path,
        "SELECT count(DISTINCT (lower(uuid::VARCHAR), eventType, published)) "
        f"FROM read_json_auto(?) {where}",
    )
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_okta_sentinel(path: Path) -> Figures:
    where = """
        WHERE actor_type = 'User'
          AND eventType IN ('user.session.start', 'user.authentication.sso')
          AND outcome_result IN ('SUCCESS', 'FAILURE')
    """
    sql = f"""
        SELECT CASE outcome_result WHEN 'SUCCESS' THEN 'success' ELSE 'failure' END,
               lower(actor_alternateId), epoch(published_t)
        FROM read_json_auto(?) {where}
    """
    distinct = _query_count(
        path,
        "SELECT count(DISTINCT (lower(uuid_g::VARCHAR), eventType, published_t)) "
        f"FROM read_json_auto(?) {where}",
    )
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_google_workspace(path: Path) -> Figures:
    # Every record of this sample contains one event as an object, not a list.
    sql = """
        SELECT CASE events.name WHEN 'login_success' THEN 'success' ELSE 'failure' END,
               lower(actor.email), epoch(id.time::TIMESTAMPTZ)
        FROM read_json_auto(?)
        WHERE id.applicationName = 'login'
          AND events.name IN ('login_success', 'login_failure')
    """
    return Figures.from_rows(_query_rows(path, sql), None)


def oracle_slack(path: Path) -> Figures:
    where = """
        WHERE actor.type = 'user'
          AND action IN ('user_login', 'user_login_failed', 'file_downloaded', 'file_uploaded',
                         'file_shared', 'file_public_link_created', 'user_channel_join',
                         'public_channel_created', 'private_channel_created')
    """
    sql = f"""
        SELECT CASE action WHEN 'user_login' THEN 'success'
                           WHEN 'user_login_failed' THEN 'failure'
                           ELSE 'interaction' END,
               lower(actor.user.email), date_create
        FROM read_json_auto(?) {where}
    """
    distinct = _query_count(path, f"SELECT count(DISTINCT id) FROM read_json_auto(?) {where}")
    return Figures.from_rows(_query_rows(path, sql), distinct)


def oracle_mattermost(path: Path) -> Figures:
    # A login's user_id is empty because no session exists yet; the authenticated user
    # is in "user". Profile edits count only when a user patches their own profile.
    # Records have no id, so identical records are one event.
    where = """
        WHERE (event = 'login' AND status IN ('success', 'fail')
               AND coalesce(nullif(user_id, ''), "user".id) IS NOT NULL)
           OR (status = 'success' AND event IN ('patchUser', 'updateUser') AND patch.id = user_id)
           OR (status = 'success' AND event IN ('createPost', 'updatePost', 'patchPost',
                                                'deletePost', 'createChannel'))
    """
    sql = f"""
        SELECT CASE WHEN event = 'login' AND status = 'success' THEN 'success'
                    WHEN event = 'login' THEN 'failure'
                    ELSE 'interaction' END,
               CASE WHEN event = 'login' AND user_id = '' THEN "user".id ELSE user_id END,
               timestamp
        FROM read_json_auto(?) {where}
    """
    rows = [
        (
            action,
            user,
            datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f Z").replace(tzinfo=UTC).timestamp(),
        )
        for action, user, text in _duckdb().execute(sql, [str(path)]).fetchall()
    ]
    distinct = _query_count(
        path, f"SELECT count(DISTINCT to_json(records)) FROM read_json_auto(?) AS records {where}"
    )
    return Figures.from_rows(rows, distinct)


ORACLES: dict[str, Callable[[Path], Figures]] = {
    "o365_audit__azuread-sts-logon.ndjson": oracle_m365_logins,
    "o365_audit__ms-teams.ndjson": oracle_m365_teams,
    "o365_audit_yammer__test-yammer-events.original.ndjson": oracle_m365_yammer,
    "azure_signinlogs__test-signinlogs-raw.log": oracle_entra,
    "okta_system__okta-system-no-flattened-events.ndjson": oracle_okta_nested,
    "okta_system_log__sentinel.json": oracle_okta_sentinel,
    "google_workspace_login__test-login.log": oracle_google_workspace,
    "slack_audit__test-audit.log": oracle_slack,
    "mattermost_audit__test-audit.log": oracle_mattermost,
}


def test_every_audit_log_has_oracle() -> None:
    assert set(ORACLES) == set(AUDIT_LOG_FORMATS)


@pytest.mark.parametrize("file_name", sorted(AUDIT_LOG_FORMATS))
def test_adapter_counts_match_raw_records(file_name: str) -> None:
    path = format_sample(file_name)
    expected = ORACLES[file_name](path)
    actual = adapter_figures(path, AUDIT_LOG_FORMATS[file_name])

    assert expected.successes + expected.failures + expected.interactions > 0, (
        "oracle found no events"
    )
    assert actual.successes == expected.successes
    assert actual.failures == expected.failures
    assert actual.interactions == expected.interactions
    assert actual.users == expected.users
    assert actual.event_times == expected.event_times
    if expected.distinct_event_ids is not None:
        assert actual.distinct_event_ids == expected.distinct_event_ids
