"""Who may write a customer's HubSpot contact right now, and whose contact changed since a snapshot.

Every path that writes a contact (the real-time sync, the nightly reconciliation, and `shopsync replay` and a
backfill, which run those two flows by hand) computes the customer's values from the ledger and then writes
them to HubSpot. HubSpot has no conditional write, so two writers that interleave can land in the opposite
order from their ledger reads, and the older values win. A writer therefore holds the customer's **lease**
from before it reads the ledger and the contact until its HubSpot write has returned; the next writer reads
after that and so sees at least as much of the ledger.

One row per customer keeps:
- `changed_seq`: the store sequence when the ledger last changed one of the customer's orders;
- `holder`, `lease_until`: the lease (a crashed holder's lease is taken over once it has expired);
- `released_seq`: the store sequence when the last lease was given up, so a shopsync write to the contact
  may have landed up to then. Taking over an expired lease counts as a release: the crashed holder may have
  written.

The store sequence is one counter that each of those events advances; "touched since my snapshot" is then a
comparison of integers, whatever the clocks of the processes say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    String,
    Table,
    case,
    literal,
    or_,
    select,
    update,
)

from tasks.store.db import UTCDateTime, dialect_insert, metadata, utcnow, write_transaction

# Bounded IN lists and VALUES rows keep each statement under both dialects' bound-parameter limits.
_CHUNK = 1_000
_SEQUENCE = "store"

store_sequence = Table(
    "store_sequence",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

contact_leases = Table(
    "contact_leases",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("changed_seq", BigInteger, nullable=False, default=0),
    Column("holder", String(255)),
    Column("lease_until", UTCDateTime()),
    Column("released_seq", BigInteger, nullable=False, default=0),
)


@dataclass(frozen=True)
class LeaseGrant:
    """A lease just taken, with what the customer's row said at that moment.

    Attributes:
        customer_id: The customer whose contact the holder may now write.
        changed_seq: Store sequence of the customer's last ledger change.
        released_seq: Store sequence of the last lease given up (or taken over) before this one.
    """

    customer_id: int
    changed_seq: int
    released_seq: int

    def touched_since(self, ledger_seq: int, contacts_seq: int) -> bool:
        """True when the ledger changed after `ledger_seq` or a write may have landed after `contacts_seq`."""
        return self.changed_seq > ledger_seq or self.released_seq > contacts_seq


class ContactLeases:
    """Per-customer write leases and change marks, shared by every process on the database.

    Args:
        engine: The shopsync database.
        lease_seconds: How long a lease holds without renewal; only a crashed holder's lease ever runs out.
        clock: Aware UTC now.
    """

    def __init__(self, engine: Engine, lease_seconds: float, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock

    def sequence(self) -> int:
        """The store sequence now: a later change, release or takeover gets a larger number."""
        statement = select(store_sequence.c.value).where(store_sequence.c.name == _SEQUENCE)
        with self._engine.connect() as connection:
            return connection.execute(statement).scalar_one_or_none() or 0

    def acquire(self, customer_ids: Iterable[int], holder: str) -> list[LeaseGrant]:
        """Take the lease of every customer no one else holds (or whose holder's lease ran out).

        Never waits: customers leased by someone else are simply not in the answer, so a caller that holds
        some leases never blocks on another holder (no deadlock).

        Args:
            customer_ids: The customers to lease.
            holder: Who takes them (one id per run); taking a lease one already holds extends it.

        Returns:
            The grants, by customer id.
        """
        wanted = sorted(set(customer_ids))
        if not wanted:
            return []
        now = self._clock()
        granted: list[LeaseGrant] = []
        with write_transaction(self._engine) as connection:
            seq = _advance(connection, self._engine)
            for chunk in _chunks(wanted):
                insert = dialect_insert(self._engine, contact_leases).values(
                    [
                        {"customer_id": customer_id, "holder": holder, "lease_until": now + self._lease}
                        for customer_id in chunk
                    ]
                )
                row = contact_leases.c
                takeover = row.holder.is_not(None) & (row.holder != holder)
                statement = insert.on_conflict_do_update(
                    index_elements=["customer_id"],
                    set_={
                        "holder": insert.excluded.holder,
                        "lease_until": insert.excluded.lease_until,
                        # The column values here are the row's old ones: a live holder never gets here.
                        "released_seq": case((takeover, literal(seq, BigInteger)), else_=row.released_seq),
                    },
                    where=or_(row.holder.is_(None), row.holder == holder, row.lease_until < now),
                ).returning(row.customer_id, row.changed_seq, row.released_seq)
                granted.extend(LeaseGrant(*result) for result in connection.execute(statement))
        return sorted(granted, key=lambda grant: grant.customer_id)

    def renew(self, customer_ids: Iterable[int], holder: str) -> set[int]:
        """Extend `holder`'s leases right before a write; returns the customers it still holds.

        A lease is lost only if its holder stalled longer than the lease and another writer took it over;
        the caller must then leave those customers alone (their new holder writes them).
        """
        until = self._clock() + self._lease
        held: set[int] = set()
        with write_transaction(self._engine) as connection:
            for chunk in _chunks(sorted(set(customer_ids))):
                statement = (
                    update(contact_leases)
                    .where(contact_leases.c.customer_id.in_(chunk), contact_leases.c.holder == holder)
                    .values(lease_until=until)
                    .returning(contact_leases.c.customer_id)
                )
                held.update(connection.execute(statement).scalars())
        return held

    def release(self, customer_ids: Iterable[int], holder: str) -> None:
        """Give up `holder`'s leases once its writes have returned (or failed)."""
        with write_transaction(self._engine) as connection:
            seq = _advance(connection, self._engine)
            for chunk in _chunks(sorted(set(customer_ids))):
                connection.execute(
                    update(contact_leases)
                    .where(contact_leases.c.customer_id.in_(chunk), contact_leases.c.holder == holder)
                    .values(holder=None, lease_until=None, released_seq=seq)
                )

    def touched_since(
        self, ledger_seq: int, contacts_seq: int, customer_ids: Iterable[int] | None = None
    ) -> list[int]:
        """Customers whose ledger changed after `ledger_seq`, or whose contact is or was leased after
        `contacts_seq` (a write may have landed since): what a snapshot taken then no longer knows.

        Args:
            ledger_seq: The sequence read before the ledger snapshot.
            contacts_seq: The sequence read before the contacts snapshot.
            customer_ids: Only these customers; every customer when None.

        Returns:
            Customer ids, ascending.
        """
        row = contact_leases.c
        touched = or_(row.changed_seq > ledger_seq, row.released_seq > contacts_seq, row.holder.is_not(None))
        statement = select(row.customer_id).where(touched)
        found: set[int] = set()
        with self._engine.connect() as connection:
            if customer_ids is None:
                found.update(connection.execute(statement).scalars())
            else:
                for chunk in _chunks(sorted(set(customer_ids))):
                    found.update(connection.execute(statement.where(row.customer_id.in_(chunk))).scalars())
        return sorted(found)


def record_ledger_changes(connection: Connection, engine: Engine, customer_ids: Iterable[int]) -> None:
    """Mark these customers' ledger as changed, inside the ledger write's own transaction."""
    changed = sorted(set(customer_ids))
    if not changed:
        return
    seq = _advance(connection, engine)
    for chunk in _chunks(changed):
        insert = dialect_insert(engine, contact_leases).values(
            [{"customer_id": customer_id, "changed_seq": seq} for customer_id in chunk]
        )
        connection.execute(
            insert.on_conflict_do_update(
                index_elements=["customer_id"], set_={"changed_seq": insert.excluded.changed_seq}
            )
        )


def _advance(connection: Connection, engine: Engine) -> int:
    """The next store sequence number (the counter row serialises concurrent writers until commit)."""
    insert = dialect_insert(engine, store_sequence).values(name=_SEQUENCE, value=1)
    statement = insert.on_conflict_do_update(
        index_elements=["name"], set_={"value": store_sequence.c.value + 1}
    ).returning(store_sequence.c.value)
    return int(connection.execute(statement).scalar_one())


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
