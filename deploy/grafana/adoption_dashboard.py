"""The adoption dashboard: active users, logins, breakdowns, interactions and weekly trends."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from panel_helpers import (
    Query,
    add_row,
    bargauge_panel,
    datasource_variable,
    job_variable,
    new_dashboard,
    stat_panel,
    timeseries_panel,
    window_variable,
)

UID = "socialitica-adoption"


def _overview_panels() -> list:
    return [
        stat_panel(
            "Active users per window",
            "Users with at least one successful login or interaction on a calendar day of the window.",
            [Query('job_window:socialitica_active_users:sum{job="$job"}', "{{window}}")],
            "short",
            span=12,
        ),
        stat_panel(
            "Known users",
            "Users with at least one accepted event.",
            [Query('job:socialitica_known_users:sum{job="$job"}', "known users")],
            "short",
        ),
        stat_panel(
            "Adoption (7-day window)",
            "Share of the known users who were active in the last 7 days.",
            [
                Query(
                    'job_window:socialitica_active_users:sum{job="$job", window="7d"}'
                    ' / on (job) job:socialitica_known_users:sum{job="$job"}',
                    "active share",
                )
            ],
            "percentunit",
        ),
        bargauge_panel(
            "Active and inactive users per window",
            "Known users split into those active in each window and those who were not.",
            [
                Query('job_window:socialitica_active_users:sum{job="$job"}', "active {{window}}", instant=True),
                Query('job_window:socialitica_inactive_users:sum{job="$job"}', "inactive {{window}}", instant=True),
            ],
            "short",
        ),
        timeseries_panel(
            "Active users over time",
            "Active users per window as the days go by.",
            [Query('job_window:socialitica_active_users:sum{job="$job"}', "{{window}}")],
            "short",
        ),
        timeseries_panel(
            "Login-active users over time",
            "Users with a successful login in each window; failed logins do not count.",
            [Query('job_window:socialitica_login_active_users:sum{job="$job"}', "{{window}}")],
            "short",
        ),
        timeseries_panel(
            "Logins per minute",
            "Accepted login events per minute, by outcome, averaged over 5 minutes.",
            [Query('60 * job_outcome:socialitica_logins:rate5m{job="$job"}', "{{outcome}}")],
            "short",
        ),
    ]


def _breakdown_panels(dimension: str, title: str) -> list:
    selector = f'job="$job", dimension="{dimension}", window="$window"'
    return [
        bargauge_panel(
            f"Active share per {title} ($window window)",
            f"Active users of each {title} divided by its population. Groups below the minimum "
            "size are folded into 'other' by the workers.",
            [
                Query(
                    f"job_window_dimension_group:socialitica_group_active_users:sum{{{selector}}}"
                    f" / job_window_dimension_group:socialitica_population_users:sum{{{selector}}}",
                    "{{group}}",
                    instant=True,
                )
            ],
            "percentunit",
        ),
        bargauge_panel(
            f"Inactive users per {title} ($window window)",
            f"Users of each {title} with no activity in the window.",
            [
                Query(
                    f"sort_desc(job_window_dimension_group:socialitica_group_inactive_users:sum{{{selector}}})",
                    "{{group}}",
                    instant=True,
                )
            ],
            "short",
        ),
    ]


def _interaction_panels() -> list:
    return [
        timeseries_panel(
            "Interactions per minute by kind",
            "Accepted interaction events per minute, averaged over 5 minutes.",
            [Query('60 * sum by (kind) (job_kind_app:socialitica_interactions:rate5m{job="$job"})', "{{kind}}")],
            "short",
        ),
        timeseries_panel(
            "Interactions per minute by app",
            "Apps outside the workers' fixed list are counted as 'other'.",
            [Query('60 * sum by (app) (job_kind_app:socialitica_interactions:rate5m{job="$job"})', "{{app}}")],
            "short",
        ),
        bargauge_panel(
            "Interactions by kind in the time range",
            "Interaction events accepted during the dashboard's time range.",
            [
                Query(
                    'sort_desc(sum by (kind) (increase(socialitica_interactions_total{job="$job"}[$__range])))',
                    "{{kind}}",
                    instant=True,
                )
            ],
            "short",
        ),
        bargauge_panel(
            "Interactions by app in the time range",
            "Interaction events accepted during the dashboard's time range.",
            [
                Query(
                    'sort_desc(sum by (app) (increase(socialitica_interactions_total{job="$job"}[$__range])))',
                    "{{app}}",
                    instant=True,
                )
            ],
            "short",
        ),
    ]


def _trend_panels() -> list:
    return [
        timeseries_panel(
            "Active users ($window window) against earlier weeks",
            "This week next to the same time a week earlier and the median of the three previous weeks.",
            [
                Query('job_window:socialitica_active_users:sum{job="$job", window="$window"}', "now"),
                Query('job_window:socialitica_active_users:sum_offset1w{job="$job", window="$window"}', "a week earlier"),
                Query(
                    'job_window:socialitica_active_users:sum_median3w{job="$job", window="$window"}',
                    "median of 3 previous weeks",
                ),
            ],
            "short",
        ),
        timeseries_panel(
            "Successful logins per hour against earlier weeks",
            "The series the SocialiticaLoginRateDrop alert compares.",
            [
                Query('3600 * job_outcome:socialitica_logins:rate1h{job="$job", outcome="success"}', "now"),
                Query(
                    '3600 * job_outcome:socialitica_logins:rate1h_offset1w{job="$job", outcome="success"}',
                    "a week earlier",
                ),
                Query(
                    '3600 * job_outcome:socialitica_logins:rate1h_median3w{job="$job", outcome="success"}',
                    "median of 3 previous weeks",
                ),
            ],
            "short",
        ),
        timeseries_panel(
            "Adoption per window over the weeks",
            "Share of the known users active in each window; set the time range to several weeks.",
            [
                Query(
                    'job_window:socialitica_active_users:sum{job="$job"} / on (job) group_left'
                    ' job:socialitica_known_users:sum{job="$job"}',
                    "{{window}}",
                )
            ],
            "percentunit",
            span=24,
        ),
    ]


def build() -> dashboard.Dashboard:
    builder = new_dashboard(
        UID,
        "Socialítica adoption",
        "Who uses the enterprise social network: active users, logins, breakdowns and trends.",
        "now-7d",
    )
    for variable in (datasource_variable(), job_variable(), window_variable()):
        builder = builder.with_variable(variable)
    for panel in _overview_panels():
        builder = builder.with_panel(panel)
    builder = add_row(builder, "Departments", _breakdown_panels("department", "department"))
    builder = add_row(builder, "Locations", _breakdown_panels("location", "location"))
    builder = add_row(builder, "Interactions", _interaction_panels())
    return add_row(builder, "Trends over weeks", _trend_panels())
