"""Fixtures of the directory tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.directory import hr_support


@pytest.fixture(scope="session")
def cert_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with the 18 CERT snapshots and the CERT e-mail log as activity."""
    return hr_support.shared_cert_warehouse(tmp_path_factory)


@pytest.fixture(scope="session")
def cert_raw():
    """Independent counts from the raw CERT files (see hr_support.RawCertCounts)."""
    return hr_support.shared_raw_counts()
