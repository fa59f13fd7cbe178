"""Kafka connection details shared by the worker (Faust) and the producers (kafka-python)."""

from __future__ import annotations

import ssl
from typing import Any

import faust

from pipeline.settings import Settings


def bootstrap_servers(broker: str) -> str:
    """Strip Faust's ``kafka://`` scheme: 'kafka://a:9092;b:9092' becomes 'a:9092,b:9092'."""
    servers = broker.split("://", 1)[1] if "://" in broker else broker
    return servers.replace(";", ",")


def faust_broker_url(broker: str) -> str:
    return "kafka://" + bootstrap_servers(broker).replace(",", ";")


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(settings.broker_ca_file) if settings.broker_ca_file else None
    )
    return context


def faust_credentials(settings: Settings) -> faust.auth.Credentials | None:
    protocol = settings.broker_security_protocol
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return faust.SSLCredentials(_ssl_context(settings))
    password = settings.broker_sasl_password.get_secret_value() if settings.broker_sasl_password else None
    return faust.SASLCredentials(
        username=settings.broker_sasl_username,
        password=password,
        mechanism=settings.broker_sasl_mechanism or "PLAIN",
        ssl_context=_ssl_context(settings) if protocol == "SASL_SSL" else None,
    )


def kafka_python_config(settings: Settings, broker: str) -> dict[str, Any]:
    """Return keyword arguments for kafka-python clients connecting to ``broker``."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(broker).split(","),
        "security_protocol": settings.broker_security_protocol,
    }
    if settings.broker_security_protocol in ("SSL", "SASL_SSL") and settings.broker_ca_file:
        config["ssl_cafile"] = str(settings.broker_ca_file)
    config.update(_sasl_config(settings))
    return config


def _sasl_config(settings: Settings) -> dict[str, Any]:
    """Return the SASL keyword arguments that kafka-python and aiokafka share ({} without SASL)."""
    if not settings.broker_security_protocol.startswith("SASL"):
        return {}
    config: dict[str, Any] = {
        "sasl_mechanism": settings.broker_sasl_mechanism or "PLAIN",
        "sasl_plain_username": settings.broker_sasl_username,
    }
    if settings.broker_sasl_password:
        config["sasl_plain_password"] = settings.broker_sasl_password.get_secret_value()
    return config


def aiokafka_config(settings: Settings, broker: str) -> dict[str, Any]:
    """Return keyword arguments for aiokafka clients connecting to ``broker``."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(broker),
        "security_protocol": settings.broker_security_protocol,
    }
    if settings.broker_security_protocol in ("SSL", "SASL_SSL"):
        config["ssl_context"] = _ssl_context(settings)
    config.update(_sasl_config(settings))
    return config
