"""What shopsync must remember about privacy requests, with no personal data: ids and times only.

- `redacted_customers`: every Shopify customer id a `customers/redact` named. The ledger refuses their orders,
  the real-time sync skips their deliveries and the reconciliation leaves them out, so a late webhook, a
  replay or a full reconciliation can never bring their data back.
- `created_contacts`: the HubSpot contacts shopsync created itself (record ids only), because the
  `delete_contact` redaction policy may only delete those; every other contact belongs to HubSpot's users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import BigInteger, Column, Connection, Engine, String, Table, delete, select

from tasks.store.db import UTCDateTime, dialect_insert, metadata, utcnow, write_transaction

_CHUNK = 1_000
T = TypeVar("T")

redacted_customers = Table(
    "redacted_customers",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("redacted_at", UTCDateTime(), nullable=False),
)

created_contacts = Table(
    "created_contacts",
    metadata,
    Column("contact_id", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)


class Redactions:
    """The redacted customer ids: written by the privacy flow, consulted by every writer of customer data."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def customer_ids(self) -> set[int]:
        """Every redacted customer id."""
        with self._engine.connect() as connection:
            return set(connection.execute(select(redacted_customers.c.customer_id)).scalars())

    def among(self, customer_ids: Iterable[int]) -> set[int]:
        """Which of these customers have been redacted."""
        with self._engine.connect() as connection:
            return redacted_among(connection, customer_ids)

    def mark(self, customer_id: int) -> None:
        """Remember a redacted customer (idempotent: the first redaction's time stays)."""
        with write_transaction(self._engine) as connection:
            mark_redacted(connection, self._engine, customer_id, self._clock())


def mark_redacted(connection: Connection, engine: Engine, customer_id: int, now: datetime) -> None:
    """Insert the customer's id inside the caller's transaction, unless it is there already."""
    insert = dialect_insert(engine, redacted_customers).values(customer_id=customer_id, redacted_at=now)
    connection.execute(insert.on_conflict_do_nothing(index_elements=["customer_id"]))


def redacted_among(connection: Connection, customer_ids: Iterable[int]) -> set[int]:
    """Which of these customers are redacted, read in the caller's transaction (the ledger's upsert)."""
    wanted = sorted({customer_id for customer_id in customer_ids if customer_id is not None})
    found: set[int] = set()
    column = redacted_customers.c.customer_id
    for chunk in _chunks(wanted):
        found.update(connection.execute(select(column).where(column.in_(chunk))).scalars())
    return found


class CreatedContacts:
    """Record ids of the HubSpot contacts shopsync created (no customer id, no email: nothing personal)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, contact_ids: Iterable[str]) -> None:
        """Remember contacts just created (a repeat changes nothing)."""
        ids = sorted(set(contact_ids))
        if not ids:
            return
        now = self._clock()
        with write_transaction(self._engine) as connection:
            for chunk in _chunks(ids):
                insert = dialect_insert(self._engine, created_contacts).values(
                    [{"contact_id": contact_id, "created_at": now} for contact_id in chunk]
                )
                connection.execute(insert.on_conflict_do_nothing(index_elements=["contact_id"]))

    def created_by_shopsync(self, contact_ids: Iterable[str]) -> set[str]:
        """Which of these contacts shopsync created."""
        column = created_contacts.c.contact_id
        found: set[str] = set()
        with self._engine.connect() as connection:
            for chunk in _chunks(sorted(set(contact_ids))):
                found.update(connection.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def forget(self, contact_ids: Iterable[str]) -> None:
        """Drop the records of contacts that are gone."""
        with write_transaction(self._engine) as connection:
            for chunk in _chunks(sorted(set(contact_ids))):
                connection.execute(delete(created_contacts).where(created_contacts.c.contact_id.in_(chunk)))


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
