"""Derivation of the SCD type 2 directory history from the stored directory loads.

A load is one file applied on an effective date. A complete load (a snapshot) lists every
user of the directory on that date, so a user it omits is a leaver from that date on. A
partial load only updates the users it lists.

History rows are half-open: a row applies to day d when valid_from <= d and (valid_to is
NULL or d < valid_to). Once a user appears, every later day has exactly one row. A leaver
keeps the last listed profile with enabled = false and in_directory = false.
"""

from __future__ import annotations

import duckdb

# Columns of a stored load, in addition to the profile fields.
LOAD_COLUMNS = ("load_seq", "effective", "complete")

HISTORY_COLUMNS = (
    "user_id",
    "valid_from",
    "valid_to",
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
    "in_directory",
)

# Input: a relation named directory_loads (profile fields plus LOAD_COLUMNS).
# Loads are applied in (effective, load_seq) order; of several loads on the same
# effective date, the last one decides each user's state on that date.
_HISTORY_SQL = """
WITH load_list AS (
    SELECT load_seq, effective, complete,
           dense_rank() OVER (ORDER BY effective, load_seq) AS ord
    FROM (SELECT DISTINCT load_seq, effective, complete FROM directory_loads)
),
listed AS (
    SELECT l.ord, l.effective, r.* EXCLUDE (load_seq, effective, complete)
    FROM directory_loads AS r JOIN load_list AS l USING (load_seq)
),
first_listed AS (
    SELECT user_id, min(ord) AS first_ord FROM listed GROUP BY user_id
),
omitted AS (
    -- Complete loads that leave out a user listed by an earlier load.
    SELECT f.user_id, l.ord, l.effective
    FROM first_listed AS f
    JOIN load_list AS l ON l.complete AND l.ord > f.first_ord
    ANTI JOIN listed AS p ON p.user_id = f.user_id AND p.ord = l.ord
),
states AS (
    SELECT user_id, ord, effective, ord AS source_ord, true AS in_directory FROM listed
    UNION ALL
    SELECT user_id, ord, effective, NULL, false FROM omitted
),
sourced AS (
    -- An omitted user keeps the profile of the last load that listed them.
    SELECT user_id, ord, effective, in_directory,
           max(source_ord) OVER (PARTITION BY user_id ORDER BY ord ROWS UNBOUNDED PRECEDING) AS source_ord
    FROM states
),
profiled AS (
    SELECT s.user_id, s.ord, s.effective, s.in_directory,
           p.display_name, p.email, p.department, p.team, p.manager_id, p.location, p.country,
           p.employment_start, p.account_type,
           CASE WHEN s.in_directory THEN p.enabled ELSE false END AS enabled
    FROM sourced AS s JOIN listed AS p ON p.user_id = s.user_id AND p.ord = s.source_ord
),
per_day AS (
    SELECT * FROM profiled
    QUALIFY row_number() OVER (PARTITION BY user_id, effective ORDER BY ord DESC) = 1
),
changes AS (
    SELECT *,
           row(display_name, email, department, team, manager_id, location, country,
               employment_start, account_type, enabled, in_directory) AS profile_state
    FROM per_day
),
versions AS (
    SELECT * FROM changes
    QUALIFY profile_state IS DISTINCT FROM
            lag(profile_state) OVER (PARTITION BY user_id ORDER BY effective)
)
SELECT user_id,
       effective AS valid_from,
       lead(effective) OVER (PARTITION BY user_id ORDER BY effective) AS valid_to,
       display_name, email, department, team, manager_id, location, country,
       employment_start, account_type, enabled, in_directory
FROM versions
ORDER BY user_id, valid_from
"""


def derive_history(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """Return the history relation computed from the `directory_loads` relation visible to `con`."""
    return con.sql(_HISTORY_SQL)
