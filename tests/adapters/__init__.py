"""Tests of `pipeline.adapters`."""
