"""Fixtures shared by the adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .samples import FORMATS_DIR


@pytest.fixture
def formats_dir() -> Path:
    """The folder of third-party format samples; tests that need it skip when it is absent."""
    if not FORMATS_DIR.is_dir():
        pytest.skip(f"sample folder {FORMATS_DIR} is absent; it sits next to the repository in CI")
    return FORMATS_DIR
