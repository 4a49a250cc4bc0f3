"""Write contacts only while holding their customers' leases: the rule both paths obey.

HubSpot has no conditional write, so whoever computes a contact's values must still be the only writer of
that contact when the write lands. `write_under_leases` takes the leases (`tasks.store.contact_leases`),
lets the caller read the ledger and the contacts and plan the diff, renews the leases, writes, and gives them
up. A customer leased by someone else is retried once they let go; the loop never waits while it holds a
lease, so two writers can never wait for each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tasks.contacts.diff import ContactDiff
from tasks.contacts.writer import WriteReport
from tasks.errors import SyncError

_FIRST_WAIT, _MAX_WAIT = 0.05, 1.0


class ContactLeaseTimeout(SyncError):
    """Another writer kept a customer's lease for longer than we are willing to wait."""


class Grant(Protocol):
    """A lease just taken (`tasks.store.contact_leases.LeaseGrant`)."""

    @property
    def customer_id(self) -> int: ...

    def touched_since(self, ledger_seq: int, contacts_seq: int) -> bool: ...


@dataclass(frozen=True)
class LeaseHolder:
    """A writer as the lease store knows it: its id (one per run) and how long it waits for others' leases."""

    name: str
    patience: float


class Leases(Protocol):
    """What the loop needs of `tasks.store.contact_leases.ContactLeases`."""

    def acquire(self, customer_ids: Iterable[int], holder: str) -> Sequence[Grant]: ...
    def renew(self, customer_ids: Iterable[int], holder: str) -> set[int]: ...
    def release(self, customer_ids: Iterable[int], holder: str) -> None: ...


def write_under_leases(
    customer_ids: Iterable[int],
    leases: Leases,
    holder: LeaseHolder,
    plan: Callable[[Sequence[Grant]], ContactDiff],
    write: Callable[[ContactDiff], WriteReport],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> WriteReport:
    """Plan and write the contacts of `customer_ids`, each only while holding its customer's lease.

    Args:
        customer_ids: The customers to bring up to date.
        leases: The shared lease store.
        holder: This run's lease id, and how long it waits for leases others hold before giving up.
        plan: Reads what it needs (ledger, contacts) for the granted customers and returns their diff; it
            runs after the leases are taken, so what it reads cannot be overtaken by another writer.
        write: Writes a diff (`apply_diff` with the run's settings).
        sleep: How the loop waits for a busy lease.
        clock: Monotonic seconds.

    Returns:
        Every write outcome, batch after batch.

    Raises:
        ContactLeaseTimeout: Some customers stayed leased by another writer for `holder.patience` seconds.
    """
    pending = sorted(set(customer_ids))
    report = WriteReport()
    deadline, wait = clock() + holder.patience, _FIRST_WAIT
    while pending:
        grants = leases.acquire(pending, holder.name)
        if not grants:
            if clock() >= deadline:
                raise ContactLeaseTimeout(
                    f"{len(pending)} customers stayed leased by another writer for {holder.patience:.0f} s, "
                    f"e.g. {pending[:5]}"
                )
            sleep(wait)
            wait = min(wait * 2, _MAX_WAIT)
            continue
        granted = [grant.customer_id for grant in grants]
        try:
            diff = plan(grants)
            # Only a holder that stalled longer than the lease can have lost it; its new holder writes.
            held = leases.renew(granted, holder.name)
            report.outcomes.extend(write(diff if held == set(granted) else diff.only(held)).outcomes)
        finally:
            leases.release(granted, holder.name)
        done = set(granted)
        pending = [customer for customer in pending if customer not in done]
        deadline, wait = clock() + holder.patience, _FIRST_WAIT
    return report
