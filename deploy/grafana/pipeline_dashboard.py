"""The pipeline health dashboard: throughput, event lag, rejects, flushes, Kafka and rebalances."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from panel_helpers import Query, add_row, datasource_variable, job_variable, new_dashboard, stat_panel, timeseries_panel

UID = "socialitica-pipeline"

# Faust's Prometheus sensor (faust.sensors.prometheus) prefixes its metrics with the app id,
# SOCIALITICA_APP_ID, which is "socialitica" by default. Its latencies are in milliseconds.
FAUST_PREFIX = "faust"


def _throughput_panels() -> list:
    return [
        stat_panel(
            "Workers up",
            "Worker targets that answered the last scrape.",
            [Query('sum(up{job="$job"})', "workers up")],
            "short",
        ),
        stat_panel(
            "Events per second",
            "Events read from Kafka per second, accepted or rejected, over 5 minutes.",
            [Query('sum(job_topic:socialitica_events_processed:rate5m{job="$job"})', "events/s")],
            "short",
        ),
        stat_panel(
            "Consumer lag",
            "Messages waiting in the partitions the workers own.",
            [Query('sum(job_topic:socialitica_consumer_lag_messages:sum{job="$job"})', "messages")],
            "short",
        ),
        stat_panel(
            "Owned partitions",
            "Partitions actively owned by a worker, summed over the workers.",
            [Query('job:socialitica_owned_partitions:sum{job="$job"}', "partitions")],
            "short",
        ),
        timeseries_panel(
            "Events per second by topic",
            "Events read per second, accepted or rejected, averaged over 5 minutes.",
            [Query('job_topic:socialitica_events_processed:rate5m{job="$job"}', "{{topic}}")],
            "short",
        ),
        timeseries_panel(
            "Events per second by worker",
            "A worker at zero while others work usually owns no partition.",
            [
                Query(
                    'sum by (instance) (rate(socialitica_events_processed_total{job="$job"}[$__rate_interval]))',
                    "{{instance}}",
                )
            ],
            "short",
        ),
        timeseries_panel(
            "Event lag",
            "Processing time minus event time of accepted events. A replay of old data shows days here.",
            [
                Query('job:socialitica_event_lag_seconds:p50_5m{job="$job"}', "p50"),
                Query('job:socialitica_event_lag_seconds:p95_5m{job="$job"}', "p95"),
            ],
            "s",
        ),
        timeseries_panel(
            "Age of the newest event",
            "Time since the event time of the newest accepted event, per worker.",
            [
                Query(
                    'time() - max by (instance) (socialitica_newest_event_timestamp_seconds{job="$job"})',
                    "{{instance}}",
                )
            ],
            "s",
        ),
    ]


def _reject_panels() -> list:
    return [
        timeseries_panel(
            "Rejected events per second by reason",
            "Events sent to the dead-letter topic, averaged over 5 minutes.",
            [Query('job_reason:socialitica_events_rejected:rate5m{job="$job"}', "{{reason}}")],
            "short",
        ),
        timeseries_panel(
            "Rejected share",
            "Rejected events divided by all events read; the SocialiticaRejectedEventsHigh alert fires above 5%.",
            [
                Query(
                    'sum by (job) (job_reason:socialitica_events_rejected:rate5m{job="$job"})'
                    ' / sum by (job) (job_topic:socialitica_events_processed:rate5m{job="$job"})',
                    "rejected share",
                )
            ],
            "percentunit",
        ),
    ]


def _flush_panels() -> list:
    return [
        timeseries_panel(
            "Flush duration",
            "95th percentile of the time to write one warehouse flush, and flushes per minute per worker.",
            [
                Query('job:socialitica_flush_duration_seconds:p95_5m{job="$job"}', "p95 duration (s)"),
                Query(
                    '60 * sum by (instance) (rate(socialitica_flush_duration_seconds_count{job="$job"}[$__rate_interval]))',
                    "flushes/min {{instance}}",
                ),
            ],
            "short",
            span=8,
        ),
        timeseries_panel(
            "Flush failures per hour",
            "Failed warehouse flushes; the worker retries them.",
            [
                Query(
                    'sum by (instance) (increase(socialitica_flush_failures_total{job="$job"}[1h]))',
                    "{{instance}}",
                )
            ],
            "short",
            span=8,
        ),
        timeseries_panel(
            "Time since the last successful flush",
            "The SocialiticaFlushStale alert fires above 15 minutes while events arrive.",
            [
                Query(
                    'time() - socialitica_last_flush_success_timestamp_seconds{job="$job"}',
                    "{{instance}}",
                )
            ],
            "s",
            span=8,
        ),
    ]


def _kafka_panels() -> list:
    return [
        timeseries_panel(
            "Consumer lag by topic",
            "Messages behind the end of the partitions the workers own.",
            [Query('job_topic:socialitica_consumer_lag_messages:sum{job="$job"}', "{{topic}}")],
            "short",
        ),
        timeseries_panel(
            "Owned partitions per worker",
            "Partitions each worker actively owns; standby replicas are not counted.",
            [Query('socialitica_owned_partitions{job="$job"}', "{{instance}}")],
            "short",
        ),
        timeseries_panel(
            "Rebalances",
            "Rebalances in progress (including state recovery) and rebalances completed in the last hour, per worker.",
            [
                Query(
                    f'sum by (instance) ({FAUST_PREFIX}_total_rebalances{{job="$job"}})'
                    f' + sum by (instance) ({FAUST_PREFIX}_total_rebalances_recovering{{job="$job"}})',
                    "in progress {{instance}}",
                ),
                Query(
                    f'sum by (instance) (increase({FAUST_PREFIX}_rebalance_done_latency_count{{job="$job"}}[1h]))',
                    "completed in 1h {{instance}}",
                ),
            ],
            "short",
        ),
        timeseries_panel(
            "Rebalance duration",
            "95th percentile of the time from the start of a rebalance until recovery finished, over an hour.",
            [
                Query(
                    f"histogram_quantile(0.95, sum by (le) (rate({FAUST_PREFIX}_rebalance_done_latency_bucket"
                    '{job="$job"}[1h]))) / 1000',
                    "p95",
                )
            ],
            "s",
        ),
    ]


def build() -> dashboard.Dashboard:
    builder = new_dashboard(
        UID,
        "Socialítica pipeline health",
        "Whether the workers keep up: throughput, event lag, rejects, warehouse flushes and Kafka.",
        "now-6h",
    )
    for variable in (datasource_variable(), job_variable()):
        builder = builder.with_variable(variable)
    builder = add_row(builder, "Throughput", _throughput_panels())
    builder = add_row(builder, "Rejected events", _reject_panels())
    builder = add_row(builder, "Warehouse flushes", _flush_panels())
    return add_row(builder, "Kafka and rebalances", _kafka_panels())
