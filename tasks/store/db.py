"""The shopsync database: one engine factory, one MetaData, and the column types both dialects share.

SQLite (the default, a file in the data dir) runs in WAL mode so the receiver keeps acknowledging webhooks
while a sync run reads and writes; PostgreSQL is supported through psycopg 3.
"""

from __future__ import annotations

import importlib
import json
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.types import DateTime, TypeDecorator

metadata = MetaData()

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option that makes the next SQLite transaction take the write lock up front (BEGIN IMMEDIATE).
_IMMEDIATE = "shopsync_begin_immediate"
# Modules whose tables live on `metadata`; imported lazily because they import this module.
_TABLE_MODULES = (
    "tasks.store.inbox",
    "tasks.store.ledger",
    "tasks.store.contact_leases",
    "tasks.store.redactions",
)
# One writer at a time per SQLite engine inside this process: threads then queue on a lock in microseconds
# instead of SQLite's busy handler, which sleeps in steps of up to 100 ms (the receiver's ack-latency tail).
_SQLITE_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def make_engine(url: str) -> Engine:
    """Create an engine for the inbox and ledger.

    Args:
        url: A SQLAlchemy URL. `sqlite:///path` gets WAL, a busy timeout, `synchronous=NORMAL` and foreign
            keys (the file's folder is created); `postgresql://` and `postgresql+psycopg://` use psycopg 3.

    Returns:
        The engine; call `create_schema(engine)` once before use.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    _SQLITE_WRITE_LOCKS[engine] = threading.Lock()
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" hook so we can choose BEGIN IMMEDIATE (the pysqlite
    # driver would otherwise issue its own deferred BEGIN lazily).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        # Deleted rows are overwritten with zeros, so a customer's redaction leaves nothing in the file's
        # free pages (the WAL is emptied by `tasks.store.erasure.compact`).
        "secure_delete=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that intends to write: on SQLite it takes the write lock before reading anything.

    Taking the lock first (BEGIN IMMEDIATE) means a read-then-write sequence can never fail with SQLITE_BUSY
    half-way, which the busy timeout would not retry. Threads of this process also queue on an in-process
    lock first, so only writers in other processes ever meet SQLite's sleeping busy handler.
    """
    with _write_lock(engine), engine.connect() as connection:
        connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection


def _write_lock(engine: Engine) -> AbstractContextManager[object]:
    lock = _SQLITE_WRITE_LOCKS.get(engine)
    return nullcontext() if lock is None else lock


def dialect_insert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ON CONFLICT on the engine's dialect (both spell it the same way)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def utcnow() -> datetime:
    """The current time, aware UTC (the default clock of the inbox and the ledger)."""
    return datetime.now(UTC)


def create_schema(engine: Engine) -> None:
    """Create every shopsync table that does not exist yet (safe to call on every start)."""
    for module in _TABLE_MODULES:
        importlib.import_module(module)
    metadata.create_all(engine, checkfirst=True)


def schema_problems(engine: Engine) -> list[str]:
    """What the database lacks of shopsync's schema: "table x", "column x.y"; empty when it is complete.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The database cannot be reached.
    """
    for module in _TABLE_MODULES:
        importlib.import_module(module)
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    problems = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            problems.append(f"table {table.name}")
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        problems += [f"column {table.name}.{c.name}" for c in table.columns if c.name not in columns]
    return problems


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both dialects (SQLite stores naive UTC text that sorts chronologically)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: shopsync stores aware UTC times only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Money as its exact decimal string: SQLite has no decimal type and would round through float."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class JSONList(TypeDecorator[list[Any]]):
    """A short list (tags, ids) as JSON text; ints stay exact because JSON text never passes through float."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Sequence[Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        # Most tag lists are empty; skipping the encoder for them is a third of a ledger row's bind cost.
        return json.dumps(list(value), separators=(",", ":")) if value else "[]"

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[Any] | None:
        return None if value is None else list(json.loads(value))
