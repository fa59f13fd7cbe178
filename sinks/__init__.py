"""Outputs of the worker: Prometheus metrics and the DuckDB warehouse."""
