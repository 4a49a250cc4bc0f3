"""The nightly's writes: each batch under its customers' leases, re-checked against what changed meanwhile.

The plan comes from a snapshot (the ledger read, then the contacts read) that is minutes old by the time a
batch is written, and the real-time path keeps writing meanwhile. So each batch first takes its customers'
leases (`tasks.contacts.leased`); from then on no one else can write them. The grants say whether a
customer was touched after the snapshot: its ledger changed, or another writer held its lease. Those
customers are recomputed from the ledger and their contacts read again, under the lease, before anything is
written; the others are written as planned. Customers the plan left alone but another writer touched are
re-checked the same way at the end, so a real-time write computed before this run's order read cannot stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

from tasks.contacts.diff import ContactDiff, combine_diffs, diff_contacts
from tasks.contacts.leased import Grant, LeaseHolder, write_under_leases
from tasks.contacts.lookup import read_contacts_for
from tasks.contacts.writer import WriteReport, apply_diff
from tasks.hubspot.client import HubSpotClient
from tasks.reconcile.contact_pull import ContactSnapshot
from tasks.reconcile.corrections import with_outcomes
from tasks.reconcile.pull import OrderPull
from tasks.reconcile.steps import LedgerState, ReconcilePlan
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import ShopsyncConfig, WriteSource
from tasks.rules.frames import orders_frame
from tasks.store.contact_leases import ContactLeases
from tasks.store.ledger import Ledger


@dataclass(frozen=True)
class CorrectionWriter:
    """Everything the write phase uses: clients, store, this run as a lease holder, and its settings."""

    hubspot: HubSpotClient
    ledger: Ledger
    leases: ContactLeases
    holder: LeaseHolder
    config: ShopsyncConfig
    batch_size: int
    source: WriteSource
    # Which of some customers were redacted (`Redactions.among`), read under their lease: a customer
    # redacted while this run was under way is left alone, not "recomputed" into an orphan reset.
    redacted_among: Callable[[Iterable[int]], set[int]] | None = None


@dataclass
class LeasedWrites:
    """What the write phase did.

    Attributes:
        report: Every write outcome.
        recomputed: Planned customers touched since the snapshot, so written from a fresh read instead.
        rechecked: Customers outside the plan touched since the snapshot, checked again from a fresh read.
    """

    report: WriteReport = field(default_factory=WriteReport)
    recomputed: set[int] = field(default_factory=set)
    rechecked: set[int] = field(default_factory=set)


def write_planned(
    writer: CorrectionWriter,
    diff: ContactDiff,
    ledger_seq: int,
    snapshot: ContactSnapshot,
    scope: Sequence[int] | None,
    held: frozenset[int] = frozenset(),
) -> LeasedWrites:
    """Write the planned diff batch by batch under leases, then re-check what others touched meanwhile.

    Args:
        writer: Clients, store and settings.
        diff: The plan's diff, from the snapshot.
        ledger_seq: The store sequence read before the ledger snapshot (`LedgerState.seq`).
        snapshot: The contacts snapshot (its `seq` was read before the contacts were).
        scope: The customers this run is responsible for (an incremental run's pull), None for all.
        held: Customers this run must not correct (an invalid order of theirs was left out of the ledger).

    Returns:
        The outcomes, and which customers were written from a fresh read.
    """
    done = LeasedWrites()

    def planned(grants: Sequence[Grant]) -> ContactDiff:
        stale = [g.customer_id for g in grants if g.touched_since(ledger_seq, snapshot.seq)]
        done.recomputed.update(stale)
        fresh = [g.customer_id for g in grants if g.customer_id not in set(stale)]
        parts = [diff.only(fresh), *([_fresh_diff(writer, stale)] if stale else [])]
        return combine_diffs(parts)

    # Creates and updates go out as different requests, so batching them apart keeps each request full.
    creates = diff.creates["customer_id"].to_list()
    for batch in _batches(creates, writer.batch_size):
        _write(writer, batch, planned, done)
    for batch in _batches(sorted(diff.customer_ids() - set(creates)), writer.batch_size):
        _write(writer, batch, planned, done)
    written = diff.customer_ids()
    touched = writer.leases.touched_since(ledger_seq, snapshot.seq, scope)
    others = [customer for customer in touched if customer not in written and customer not in held]
    done.rechecked.update(others)
    for batch in _batches(others, writer.batch_size):
        _write(writer, batch, lambda grants: _fresh_diff(writer, [g.customer_id for g in grants]), done)
    return done


def _write(
    writer: CorrectionWriter,
    customers: Sequence[int],
    plan: Callable[[Sequence[Grant]], ContactDiff],
    done: LeasedWrites,
) -> None:
    def write(diff: ContactDiff) -> WriteReport:
        return apply_diff(
            writer.hubspot, diff, writer.config.properties, writer.batch_size, source=writer.source
        )

    report = write_under_leases(customers, writer.leases, writer.holder, plan, write)
    done.report.outcomes.extend(report.outcomes)


def _fresh_diff(writer: CorrectionWriter, customer_ids: Sequence[int]) -> ContactDiff:
    """These customers' diff from the ledger and HubSpot as they are now (the caller holds their leases)."""
    config = writer.config
    if writer.redacted_among is not None:
        redacted = writer.redacted_among(customer_ids)
        customer_ids = [customer for customer in customer_ids if customer not in redacted]
    records = writer.ledger.orders_for_customers(customer_ids)
    expected = customer_aggregates(orders_frame(records), config.rules, config.mapping)
    # Every customer is looked up, also one without ledger orders (an orphan): by id, and by email if known.
    customers = pl.DataFrame({"customer_id": list(customer_ids)}, schema={"customer_id": pl.Int64()}).join(
        expected.select("customer_id", "email"), on="customer_id", how="left"
    )
    contacts = read_contacts_for(writer.hubspot, customers, config)
    # A contact found by email carrying another customer's id is not ours to reset (see plan_reconciliation).
    keyed = pl.col("shopify_customer_id")
    contacts = contacts.filter(keyed.is_null() | keyed.is_in(list(customer_ids)))
    return diff_contacts(
        expected, contacts, orphan_policy=config.reconcile.orphan_policy, properties=config.properties
    )


def _batches(customers: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(customers), size):
        yield customers[start : start + size]


@dataclass(frozen=True)
class WriteOptions:
    """The flow's say over the write phase: dry run, batch size, and whether this is a backfill."""

    dry_run: bool = False
    batch_size: int = 100
    backfill: bool | None = None


@dataclass(frozen=True)
class WrittenCorrections:
    """The corrections table after the write phase, and the customers it checked beyond the plan."""

    corrections: pl.DataFrame
    rechecked: int = 0
    # Record ids of the contacts this run created (a redaction may delete only those).
    created_contact_ids: tuple[str, ...] = ()


def write_source(pull: OrderPull, backfill: bool | None) -> WriteSource:
    """The label of this run's writes: "backfill" for the first run on a database (or when asked), else
    "reconcile", so a workflow can tell a history import from a missed order found at night."""
    first = pull.first_run if backfill is None else backfill
    return "backfill" if first else "reconcile"


def write_corrections(
    writer: CorrectionWriter,
    plan: ReconcilePlan,
    state: LedgerState,
    snapshot: ContactSnapshot,
    pull: OrderPull,
) -> WrittenCorrections:
    """Write the plan under leases (`write_planned`) and record each correction's outcome.

    An incremental run answers for the customers of the orders it read; a full run for every customer.
    """
    scope = pull.customer_ids if pull.mode == "incremental" else None
    done = write_planned(writer, plan.diff, state.seq, snapshot, scope, pull.held_customer_ids)
    corrections = with_outcomes(plan.corrections, done.report, done.recomputed)
    created = tuple(o.contact_id for o in done.report.outcomes if o.action == "created" and o.contact_id)
    return WrittenCorrections(corrections, len(done.rechecked), created)
