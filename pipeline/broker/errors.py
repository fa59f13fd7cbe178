"""Errors of the local Kafka broker launcher."""

from pipeline.errors import SocialiticaError


class BrokerError(SocialiticaError):
    """The local broker could not be resolved, started, found or stopped.

    The message names the failing value (path, port, process id), the log file when there is one,
    and the fix.
    """
