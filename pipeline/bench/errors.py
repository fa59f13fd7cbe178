"""Errors of the benchmark."""

from __future__ import annotations

from pipeline.errors import SocialiticaError


class BenchError(SocialiticaError):
    """A benchmark step failed or timed out; the message names the step and where to look."""
