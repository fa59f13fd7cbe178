"""Shared building blocks of the Socialítica dashboards, written with grafana-foundation-sdk."""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import bargauge, common as common_builders, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableOption, VariableRefresh, VariableSort

# Every panel reads the data source chosen in the `datasource` variable. Provisioning
# makes the Prometheus source with uid "socialitica-prometheus" the default.
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
WINDOWS = ("1d", "7d", "30d", "365d")


@dataclass(frozen=True)
class Query:
    """One PromQL target of a panel."""

    expr: str
    legend: str
    instant: bool = False


def _target(query: Query, ref_id: str) -> prometheus.Dataquery:
    target = (
        prometheus.Dataquery()
        .expr(query.expr)
        .legend_format(query.legend)
        .ref_id(ref_id)
        .datasource(DATASOURCE)
    )
    return target.instant() if query.instant else target.range()


def _with_targets(panel, queries: list[Query]):
    for index, query in enumerate(queries):
        panel = panel.with_target(_target(query, chr(ord("A") + index)))
    return panel


def timeseries_panel(
    title: str, description: str, queries: list[Query], unit: str, *, span: int = 12, height: int = 8
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(span)
        .height(height)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    return _with_targets(panel, queries)


def stat_panel(
    title: str, description: str, queries: list[Query], unit: str, *, span: int = 6, height: int = 5
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(span)
        .height(height)
        .graph_mode(common.BigValueGraphMode.AREA)
        .color_mode(common.BigValueColorMode.VALUE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    return _with_targets(panel, queries)


def bargauge_panel(
    title: str, description: str, queries: list[Query], unit: str, *, span: int = 12, height: int = 9
) -> bargauge.Panel:
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .span(span)
        .height(height)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .orientation(common.VizOrientation.HORIZONTAL)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    return _with_targets(panel, queries)


def datasource_variable() -> dashboard.DatasourceVariable:
    return (
        dashboard.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(VariableOption(selected=True, text="Prometheus", value="socialitica-prometheus"))
    )


def job_variable() -> dashboard.QueryVariable:
    return (
        dashboard.QueryVariable("job")
        .label("Job")
        .datasource(DATASOURCE)
        .query("label_values(socialitica_known_users, job)")
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .current(VariableOption(selected=True, text="socialitica-worker", value="socialitica-worker"))
    )


def window_variable() -> dashboard.CustomVariable:
    options = [VariableOption(selected=window == "7d", text=window, value=window) for window in WINDOWS]
    return (
        dashboard.CustomVariable("window")
        .label("Activity window")
        .values(",".join(WINDOWS))
        .options(options)
        .current(VariableOption(selected=True, text="7d", value="7d"))
    )


def new_dashboard(uid: str, title: str, description: str, time_from: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["socialitica"])
        .timezone("browser")
        .refresh("1m")
        .time(time_from, "now")
        .editable()
    )


def add_row(builder: dashboard.Dashboard, title: str, panels: list) -> dashboard.Dashboard:
    """Append an expanded row and its panels to the dashboard."""
    # An expanded row is followed by its panels at the top level; Grafana keeps panels
    # nested in a row only while the row is collapsed.
    builder = builder.with_row(dashboard.Row(title))
    for panel in panels:
        builder = builder.with_panel(panel)
    return builder
