"""The engine factory: SQLite tuned for a receiver and a sync run at once, PostgreSQL through psycopg 3."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import StatementError

from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Delivery, Inbox
from tasks.store.ledger import Ledger


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    """Every SQLite connection gets WAL, a busy timeout, synchronous=NORMAL and foreign keys."""
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'shopsync.db'}")
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
        }
    engine.dispose()

    assert pragmas == {"journal_mode": "wal", "busy_timeout": 10_000, "synchronous": 1, "foreign_keys": 1}


def test_create_schema_is_idempotent(tmp_path: Path) -> None:
    """Creating the schema twice keeps the tables and their rows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shopsync.db'}")
    create_schema(engine)
    Ledger(engine).set_watermark("nightly", "2026-04-01")

    create_schema(engine)

    assert Ledger(engine).get_watermark("nightly") == "2026-04-01"
    assert {"webhook_deliveries", "order_ledger", "sync_state"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@localhost/db", "postgresql+psycopg://u@localhost/db"])
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    """A plain postgresql:// URL is served by psycopg 3, not the psycopg2 default."""
    engine = make_engine(url)

    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_other_databases_are_refused() -> None:
    """Only SQLite and PostgreSQL are supported, and the error says so."""
    with pytest.raises(ValueError, match="use sqlite or postgresql"):
        make_engine("mysql://u@localhost/db")


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    """Storing a time without an offset fails instead of guessing its zone."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shopsync.db'}")
    create_schema(engine)
    naive = Delivery(
        webhook_id="w", topic="orders/paid", shop_domain="s", received_at=datetime(2026, 4, 1), payload="{}"
    )

    with pytest.raises(StatementError, match="naive datetime"):
        Inbox(engine).add(naive)
    engine.dispose()
