"""A local single-node KRaft Kafka broker for development, tests and single-machine runs."""

from pipeline.broker.classpath import KAFKA_VERSION
from pipeline.broker.errors import BrokerError
from pipeline.broker.launcher import LocalBroker, stop_running
from pipeline.broker.state import BrokerInfo, find_running

__all__ = ["KAFKA_VERSION", "BrokerError", "BrokerInfo", "LocalBroker", "find_running", "stop_running"]
