"""Engines for tests that must hold on both SQLite and PostgreSQL.

PostgreSQL runs only when SHOPSYNC_TEST_POSTGRES_URL points at a database the tests may fill and empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tasks.store.db import create_schema, make_engine, metadata

POSTGRES_URL = os.environ.get("SHOPSYNC_TEST_POSTGRES_URL")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="SHOPSYNC_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


def open_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """Yield an engine with a fresh, empty schema; drop everything again afterwards."""
    url = POSTGRES_URL if backend == "postgresql" else f"sqlite:///{tmp_path / 'shopsync.db'}"
    assert url is not None
    engine = make_engine(url)
    metadata.drop_all(engine)
    create_schema(engine)
    try:
        yield engine
    finally:
        metadata.drop_all(engine)
        engine.dispose()
