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
)

from tasks.shopify.models import OrderRecord
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

# 500 rows x 21 columns stays far below SQLite's 32,766 and PostgreSQL's 65,535 bound-parameter limits.
UPSERT_CHUNK = 500
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


class Ledger:
    """Read and write the order ledger and the sync watermarks."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def upsert(self, records: Iterable[OrderRecord]) -> list[int]:
        """Write orders, keeping for each order the version with the newest `updated_at`.

        An incoming version whose `updated_at` is older than or equal to the stored one changes nothing, so
        replays, duplicates and out-of-order deliveries are harmless. Each chunk is one INSERT ... ON CONFLICT
        DO UPDATE ... WHERE excluded.updated_at > order_ledger.updated_at statement. The customers of changed
        orders (and their previous customers, when an order moved) are marked changed in the same
        transaction (`tasks.store.contact_leases`), so a writer holding an older snapshot can tell.

        Args:
            records: Orders in any order; several versions of one order may appear.

        Returns:
            The ids of the orders whose stored row was inserted or replaced, ascending.
        """
        newest = _newest_per_order(records)
        rows = [self._row(record) for record in newest]
        changed: list[int] = []
        with write_transaction(self._engine) as connection:
            previous = _owners(connection, [row["order_id"] for row in rows])
            for start in range(0, len(rows), UPSERT_CHUNK):
                insert = dialect_insert(self._engine, order_ledger).values(rows[start : start + UPSERT_CHUNK])
                statement = insert.on_conflict_do_update(
                    index_elements=["order_id"],
                    set_={name: insert.excluded[name] for name in rows[0] if name != "order_id"},
                    where=insert.excluded.updated_at > order_ledger.c.updated_at,
                ).returning(order_ledger.c.order_id)
                changed.extend(connection.execute(statement).scalars())
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
                records.extend(_record(row._mapping) for row in connection.execute(statement))
        return sorted(records, key=lambda record: (record.customer_id, record.processed_at, record.order_id))

    def iter_orders(self, batch: int = 10_000) -> Iterator[OrderRecord]:
        """Every ledger order by ascending order id, read `batch` rows per query (keyset pagination)."""
        after: int | None = None
        while True:
            statement = select(order_ledger).order_by(order_ledger.c.order_id).limit(batch)
            if after is not None:
                statement = statement.where(order_ledger.c.order_id > after)
            with self._engine.connect() as connection:
                page = [_record(row._mapping) for row in connection.execute(statement)]
            yield from page
            if len(page) < batch:
                return
            after = page[-1].order_id

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

    def _row(self, record: OrderRecord) -> dict[str, Any]:
        return {name: getattr(record, name) for name in _RECORD_COLUMNS} | {"recorded_at": self._clock()}


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


def _record(row: Any) -> OrderRecord:
    return OrderRecord.model_validate({name: row[name] for name in _RECORD_COLUMNS})


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
