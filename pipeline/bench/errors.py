"""Errors of the benchmark."""

from __future__ import annotations

from pipeline.errors import SocialiticaError


class BenchError(SocialiticaError):
    """A benchmark step failed or timed out; the message names the step and where to look."""


class BenchTimeout(BenchError):
    """A worker did not reach the awaited state within the step's time limit."""
