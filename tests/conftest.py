"""Shared fixtures: the reference folder, and one Prefect test harness for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The verified API references (../shared/reference beside the clone, or SHOPSYNC_REFERENCE_DIR)."""
    path = Path(os.environ.get("SHOPSYNC_REFERENCE_DIR", REPO_ROOT.parent / "shared" / "reference"))
    if not (path / "shopify").is_dir():
        pytest.fail(f"reference payloads not found at {path}; set SHOPSYNC_REFERENCE_DIR")
    return path


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every test that runs flows (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
