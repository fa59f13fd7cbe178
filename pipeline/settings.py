"""The worker's settings: one frozen object read from SOCIALITICA_* variables and flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import SocialiticaError

ENV_PREFIX = "SOCIALITICA_"


class SettingsError(SocialiticaError):
    """A setting has an invalid value."""


class Settings(BaseSettings):
    """Every tunable of the service.

    Read once at the entry point with :meth:`load`; modules receive the object and never read the
    environment themselves.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    data_dir: Path = Field(Path("data"), description="Folder for the local broker, table state and warehouse.")
    broker: str | None = Field(
        None,
        description="Kafka bootstrap servers, e.g. 'kafka://host:9092'. Unset: use the local broker of data_dir.",
    )
    broker_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    broker_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    broker_sasl_username: str | None = None
    broker_sasl_password: SecretStr | None = None
    broker_ca_file: Path | None = None

    app_id: str = Field("socialitica", description="Faust application id: consumer group and changelog prefix.")
    topic_prefix: str = Field("socialitica", description="Prefix of the event topics.")
    topic_partitions: int = Field(4, ge=1, description="Partitions of the event topics and the table changelog.")
    topic_replication_factor: int = Field(1, ge=1)

    web_host: str = Field("127.0.0.1", description="Address the worker's web server (/metrics) binds to.")
    web_port: int = Field(6066, ge=1, le=65535)
    store: Literal["rocksdb", "memory"] = Field("rocksdb", description="Table store; memory is for tests.")

    reporting_timezone: str = Field("UTC", description="IANA zone in which calendar days are counted.")
    source_timezone: str = Field("UTC", description="IANA zone for timestamps that carry no offset.")
    future_tolerance_seconds: float = Field(300.0, ge=0, description="How far in the future an event may be.")
    clock: Literal["wall", "replay"] = Field(
        "wall", description="'wall': today is the wall clock; 'replay': today is the newest event's day."
    )
    flush_interval_seconds: float = Field(10.0, gt=0, description="Seconds between warehouse flushes.")
    batch_max_messages: int = Field(
        5000, ge=1, description="Kafka messages an agent takes at once; each user is written once per batch."
    )
    batch_max_seconds: float = Field(
        0.25, gt=0, description="Maximum wait to fill a batch, in seconds: a bound on added latency."
    )
    state_cache_users: int = Field(
        100_000,
        ge=0,
        description="Parsed user states each owned partition keeps in memory, so an event for a recent "
        "user skips parsing the stored state; 0 parses the stored state on every batch.",
    )
    local_broker_timeout_seconds: float = Field(180.0, gt=0)
    restore_timeout_seconds: float = Field(
        1800.0, gt=0, description="Maximum time the worker may spend restoring its table from the changelog at start."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    raw_formats: str = Field(
        "all",
        description="Audit-log formats whose raw topics (<prefix>.raw.<format>) the worker maps: 'all', "
        "'none' or a comma-separated list such as 'm365,okta'.",
    )
    group_dimensions: str = Field(
        "department,location,country",
        description="Directory fields exported as Prometheus group gauges (comma-separated; 'none' for none).",
    )
    group_min_size: int = Field(5, ge=1, description="Groups smaller than this are folded into 'other'.")
    group_max_labels: int = Field(50, ge=2, description="Maximum group label values per dimension, 'other' included.")
    group_gauge_interval_seconds: float = Field(60.0, gt=0, description="Seconds between group gauge updates.")
    aliases_file: Path | None = Field(
        None, description="CSV or JSONL of alias,user_id pairs joining audit-log identities to directory ids."
    )

    @field_validator("reporting_timezone", "source_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}; use a name such as 'Europe/Madrid'") from exc
        return value

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment once and apply the non-None overrides (from CLI flags)."""
        explicit = {key: value for key, value in overrides.items() if value is not None}
        try:
            return cls(**explicit)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
                for error in exc.errors()
            )
            raise SettingsError(f"invalid settings: {problems}") from exc

    @property
    def logins_topic(self) -> str:
        return f"{self.topic_prefix}.logins"

    @property
    def interactions_topic(self) -> str:
        return f"{self.topic_prefix}.interactions"

    @property
    def deadletter_topic(self) -> str:
        return f"{self.topic_prefix}.deadletter"

    @property
    def directory_topic(self) -> str:
        return f"{self.topic_prefix}.directory"

    @property
    def absences_topic(self) -> str:
        return f"{self.topic_prefix}.absences"

    @property
    def group_dimension_names(self) -> tuple[str, ...]:
        from sinks.hr import DIMENSIONS

        if self.group_dimensions.strip() == "none":
            return ()
        chosen = tuple(name.strip() for name in self.group_dimensions.split(",") if name.strip())
        unknown = sorted(set(chosen) - set(DIMENSIONS))
        if unknown:
            raise SettingsError(
                f"SOCIALITICA_GROUP_DIMENSIONS names unknown field(s) {unknown}; choose from {list(DIMENSIONS)}"
            )
        return chosen

    def raw_topic(self, format_name: str) -> str:
        return f"{self.topic_prefix}.raw.{format_name}"

    @property
    def raw_format_names(self) -> tuple[str, ...]:
        from pipeline.adapters import format_names

        known = format_names()
        if self.raw_formats.strip() == "all":
            return known
        if self.raw_formats.strip() == "none":
            return ()
        chosen = tuple(name.strip() for name in self.raw_formats.split(",") if name.strip())
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise SettingsError(
                f"SOCIALITICA_RAW_FORMATS names unknown format(s) {unknown}; choose from {list(known)}, 'all' or 'none'"
            )
        return chosen

    @property
    def reporting_zone(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_timezone)

    @property
    def source_zone(self) -> ZoneInfo:
        return ZoneInfo(self.source_timezone)

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "socialitica.duckdb"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"
