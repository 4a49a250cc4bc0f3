"""Shared fixtures: the vendored reference folder, and one Prefect test harness for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Real payloads, error bodies and HMAC vectors, vendored from the workspace's shared/reference (see the
# SOURCES.md files) so that a clone of the repository alone runs every test.
VENDORED_REFERENCE = REPO_ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The verified API references the tests read (tests/reference, or SHOPSYNC_REFERENCE_DIR)."""
    return Path(os.environ.get("SHOPSYNC_REFERENCE_DIR", VENDORED_REFERENCE))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every test that runs flows (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
