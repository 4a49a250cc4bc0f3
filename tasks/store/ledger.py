"""The order ledger: our own copy of every order we have seen, newest `updated_at` wins.

Webhooks arrive late, twice and out of order, so the ledger only ever moves an order forward in time. Customer
aggregates are computed from it, never from a single webhook. `sync_state` keeps named watermarks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Index,
    String,
    Table,
    Text,
    select,
    type_coerce,
)

from tasks.shopify.models import OrderRecord
from tasks.shopify.order_rules import ALREADY_CHECKED
from tasks.store.contact_leases import record_ledger_changes
from tasks.store.db import (
    DecimalText,
    JSONList,
    UTCDateTime,
    dialect_insert,
    metadata,
    utcnow,
    write_transaction,
)
from tasks.store.redactions import redacted_among

# Bounded IN lists keep each query's parameter count under the same limits.
LOOKUP_CHUNK = 1_000

order_ledger = Table(
    "order_ledger",
    metadata,
    Column("order_id", BigInteger, primary_key=True, autoincrement=False),
    Column("order_gid", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("customer_id", BigInteger),
    Column("email", String(320)),
    Column("processed_at", UTCDateTime(), nullable=False),
    Column("processed_date", Date, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("test", Boolean, nullable=False),
    Column("financial_status", String(32), nullable=False),
    Column("current_total", DecimalText(), nullable=False),
    Column("total_price", DecimalText(), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("source_name", String(255)),
    Column("order_tags", JSONList(), nullable=False),
    Column("customer_tags", JSONList(), nullable=False),
    Column("product_ids", JSONList(), nullable=False),
    Column("product_types", JSONList()),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index("ix_order_ledger_customer_id", "customer_id"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

_RECORD_COLUMNS = tuple(OrderRecord.model_fields)
_WRITTEN_COLUMNS = ("order_id", *(name for name in _RECORD_COLUMNS if name != "order_id"), "recorded_at")
_UpsertWriter = Callable[[Connection, list[dict[str, Any]]], list[int]]
# Rows per unnest statement: bounds the arrays PostgreSQL materialises at once.
_UNNEST_BATCH = 10_000


class Ledger:
    """Read and write the order ledger and the sync watermarks."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock
        postgres = engine.dialect.name == "postgresql"
        self._write: _UpsertWriter = _UnnestUpsert(engine) if postgres else _ManyValuesUpsert(engine)

    def upsert(self, records: Iterable[OrderRecord]) -> list[int]:
        """Write orders, keeping for each order the version with the newest `updated_at`.

        An incoming version whose `updated_at` is older than or equal to the stored one changes nothing, so
        replays, duplicates and out-of-order deliveries are harmless: the rows go in through INSERT ... ON
        CONFLICT DO UPDATE ... WHERE excluded.updated_at > order_ledger.updated_at, built once per ledger.
        The customers of changed orders (and their previous customers, when an order moved) are marked
        changed in the same transaction (`tasks.store.contact_leases`), so a writer holding an older snapshot
        can tell. Orders of a redacted customer (`tasks.store.redactions`) are refused: a late webhook or a
        reconciliation must never bring a forgotten customer back.

        Args:
            records: Orders in any order; several versions of one order may appear.

        Returns:
            The ids of the orders whose stored row was inserted or replaced, ascending.
        """
        recorded_at = self._clock()
        rows = [_row(record, recorded_at) for record in _newest_per_order(records)]
        if not rows:
            return []
        with write_transaction(self._engine) as connection:
            redacted = redacted_among(connection, (row["customer_id"] for row in rows))
            rows = [row for row in rows if row["customer_id"] not in redacted]
            if not rows:
                return []
            previous = _owners(connection, [row["order_id"] for row in rows])
            changed = self._write(connection, rows)
            owners = {row["order_id"]: row["customer_id"] for row in rows}
            # An order moved to another customer changes its previous owner's totals too.
            touched = {owners[order_id] for order_id in changed} | {previous.get(o) for o in changed}
            record_ledger_changes(connection, self._engine, (c for c in touched if c is not None))
        return sorted(changed)

    def orders_for_customers(self, customer_ids: Iterable[int]) -> list[OrderRecord]:
        """Every ledger order of these customers, by customer, then processing time, then order id."""
        wanted = sorted(set(customer_ids))
        records: list[OrderRecord] = []
        with self._engine.connect() as connection:
            for chunk in _chunks(wanted, LOOKUP_CHUNK):
                statement = select(order_ledger).where(order_ledger.c.customer_id.in_(chunk))
                records.extend(row_record(row._mapping) for row in connection.execute(statement))
        return sorted(records, key=lambda record: (record.customer_id, record.processed_at, record.order_id))

    def iter_orders(self, batch: int = 10_000) -> Iterator[OrderRecord]:
        """Every ledger order by ascending order id, read `batch` rows per query (keyset pagination)."""
        after: int | None = None
        while True:
            statement = select(order_ledger).order_by(order_ledger.c.order_id).limit(batch)
            if after is not None:
                statement = statement.where(order_ledger.c.order_id > after)
            with self._engine.connect() as connection:
                page = [row_record(row._mapping) for row in connection.execute(statement)]
            yield from page
            if len(page) < batch:
                return
            after = page[-1].order_id

    def iter_order_columns(self, batch: int = 50_000) -> Iterator[dict[str, list[Any]]]:
        """Every ledger order, `batch` rows at a time, as one list per `OrderRecord` field.

        For the nightly run's frame of every order: no `OrderRecord` per row (validating a million of them
        took minutes and held gigabytes), and the list columns (tags, products) stay the JSON text they are
        stored as, for the caller to decode column-wise. Money is Decimal and times aware UTC, as in records.
        """
        lists = {name for name in _RECORD_COLUMNS if isinstance(order_ledger.c[name].type, JSONList)}
        columns = [
            type_coerce(order_ledger.c[name], Text).label(name) if name in lists else order_ledger.c[name]
            for name in _RECORD_COLUMNS
        ]
        statement = select(*columns).order_by(order_ledger.c.order_id)
        with self._engine.connect() as connection:
            # yield_per streams (a server-side cursor on PostgreSQL) instead of fetching every row at once.
            result = connection.execution_options(yield_per=batch).execute(statement)
            for rows in result.partitions():
                yield dict(zip(_RECORD_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))

    def customers_touched(self, order_ids: Iterable[int]) -> list[int]:
        """The distinct customer ids of these orders, ascending (orders without a customer are left out)."""
        wanted = sorted(set(order_ids))
        customers: set[int] = set()
        column = order_ledger.c.customer_id
        with self._engine.connect() as connection:
            for chunk in _chunks(wanted, LOOKUP_CHUNK):
                statement = select(column).where(order_ledger.c.order_id.in_(chunk), column.is_not(None))
                customers.update(connection.execute(statement.distinct()).scalars())
        return sorted(customers)

    def get_watermark(self, name: str) -> str | None:
        """The stored value of watermark `name`, or None if it was never set."""
        statement = select(sync_state.c.value).where(sync_state.c.key == name)
        with self._engine.connect() as connection:
            return connection.execute(statement).scalar_one_or_none()

    def set_watermark(self, name: str, value: str) -> None:
        """Store watermark `name` (e.g. an ISO timestamp), replacing any earlier value."""
        insert = dialect_insert(self._engine, sync_state).values(
            key=name, value=value, updated_at=self._clock()
        )
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )
        with write_transaction(self._engine) as connection:
            connection.execute(statement)


class _ManyValuesUpsert:
    """SQLite: one statement, every row as parameters; SQLAlchemy batches them into multi-row statements
    ("insertmanyvalues"). Building a fresh multi-row statement per chunk spent most of its time compiling."""

    def __init__(self, engine: Engine) -> None:
        insert = dialect_insert(engine, order_ledger)
        self._statement = insert.on_conflict_do_update(
            index_elements=["order_id"],
            set_={name: insert.excluded[name] for name in _WRITTEN_COLUMNS if name != "order_id"},
            where=insert.excluded.updated_at > order_ledger.c.updated_at,
        ).returning(order_ledger.c.order_id)

    def __call__(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        return list(connection.execute(self._statement, rows).scalars())


class _UnnestUpsert:
    """PostgreSQL: the same upsert, every row of a batch in one statement with one array parameter per column.

    insertmanyvalues' statements carry 21 placeholders per row, and psycopg parses each (uncached, they are
    large) with a regex: ~0.4 ms a row. With `unnest` the statement has 21 placeholders whatever the batch.
    Values go through each column type's own bind processing (Decimal text, JSON lists, aware UTC times).
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        columns = [order_ledger.c[name] for name in _WRITTEN_COLUMNS]
        self._processors = [(column.name, column.type.bind_processor(dialect)) for column in columns]
        names = ", ".join(column.name for column in columns)
        arrays = ", ".join(f"%s::{column.type.compile(dialect=dialect)}[]" for column in columns)
        updates = ", ".join(f"{column.name} = excluded.{column.name}" for column in columns[1:])
        self._sql = (
            f"INSERT INTO order_ledger ({names}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT (order_id) DO UPDATE SET {updates} "
            "WHERE excluded.updated_at > order_ledger.updated_at RETURNING order_id"
        )

    def __call__(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        changed: list[int] = []
        for start in range(0, len(rows), _UNNEST_BATCH):
            batch = rows[start : start + _UNNEST_BATCH]
            arrays = tuple(
                [row[name] for row in batch] if process is None else [process(row[name]) for row in batch]
                for name, process in self._processors
            )
            changed.extend(row[0] for row in connection.exec_driver_sql(self._sql, arrays))
        return changed


def _row(record: OrderRecord, recorded_at: datetime) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _RECORD_COLUMNS} | {"recorded_at": recorded_at}


def _newest_per_order(records: Iterable[OrderRecord]) -> list[OrderRecord]:
    # One statement cannot touch a row twice (PostgreSQL refuses), so collapse versions first; on a tie the
    # first one seen stays, matching the "equal updated_at is ignored" rule.
    newest: dict[int, OrderRecord] = {}
    for record in records:
        kept = newest.get(record.order_id)
        if kept is None or record.updated_at > kept.updated_at:
            newest[record.order_id] = record
    return list(newest.values())


def _owners(connection: Connection, order_ids: Sequence[int]) -> dict[int, int | None]:
    """The stored customer of each of these orders that the ledger already holds."""
    owners: dict[int, int | None] = {}
    for chunk in _chunks(order_ids, LOOKUP_CHUNK):
        statement = select(order_ledger.c.order_id, order_ledger.c.customer_id).where(
            order_ledger.c.order_id.in_(chunk)
        )
        owners.update((order_id, customer_id) for order_id, customer_id in connection.execute(statement))
    return owners


def row_record(row: Any) -> OrderRecord:
    """A ledger row (its mapping) as the order record it stores."""
    # Checked by the order rules on the way in; a row stored before a rule existed must still load.
    return OrderRecord.model_validate({name: row[name] for name in _RECORD_COLUMNS}, context=ALREADY_CHECKED)


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
