"""Nightly reconciliation, step by step, as plain functions: expected values, the plan, the cap, the counts.

Expected values come from the order ledger through the same `orders_frame` → `customer_aggregates` path (so
the same rules and defaults) as the real-time sync. The Prefect flow in `flows/reconcile.py` only composes
these steps; the reads live in `tasks.reconcile.pull`, the writes (under leases, through the real-time
path's writer `apply_diff`) in `tasks.reconcile.leased_writes`, the report in `tasks.reconcile.drift_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from pydantic import BaseModel

from tasks.contacts.diff import ContactDiff, diff_contacts
from tasks.errors import SyncError
from tasks.reconcile.contact_pull import ContactSnapshot
from tasks.reconcile.corrections import FAILED, RECOMPUTED, corrected_contacts, planned_corrections
from tasks.reconcile.drift_causes import drift_causes
from tasks.reconcile.pull import Mode, OrderPull
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import ShopsyncConfig
from tasks.rules.frames import orders_frame, orders_frame_from_columns
from tasks.store.ledger import Ledger


class DriftCapExceeded(SyncError):
    """More contacts would be rewritten than `reconcile.max_drift_share` allows; nothing was written."""


@dataclass(frozen=True)
class LedgerState:
    """Every ledger order (ORDERS_SCHEMA) and what HubSpot should say per customer (EXPECTED_SCHEMA).

    `seq` is the store sequence read before the ledger was: a customer whose ledger changed after it may
    have orders this state never saw (`tasks.store.contact_leases`).
    """

    orders: pl.DataFrame
    expected: pl.DataFrame
    seq: int = 0

    def customers(self, customer_ids: tuple[int, ...] | None) -> pl.DataFrame:
        """customer_id and email of these customers (all of them when None), for the contact lookup."""
        expected = self.expected
        if customer_ids is not None:
            expected = expected.filter(pl.col("customer_id").is_in(list(customer_ids)))
        return expected.select("customer_id", "email")


@dataclass(frozen=True)
class ReconcilePlan:
    """What the run found: the diff, each correction with its likely cause, and how much it looked at."""

    diff: ContactDiff
    corrections: pl.DataFrame
    customers_checked: int
    contacts_read: int
    currency: str


@dataclass(frozen=True)
class DriftCap:
    """The safety cap's verdict: the share of synced contacts a run would rewrite, against the limit."""

    share: float
    limit: float
    rewrites: int
    population: int
    forced: bool

    @property
    def exceeded(self) -> bool:
        """True when the share is over the limit and the run was not forced."""
        return self.share > self.limit and not self.forced

    def describe(self) -> str:
        """One line for logs, the report and the exception."""
        verdict = "exceeds" if self.share > self.limit else "is within"
        forced = " (forced)" if self.forced and self.share > self.limit else ""
        return (
            f"{self.rewrites} of {self.population} contacts would be rewritten ({self.share:.1%}), "
            f"which {verdict} the cap of {self.limit:.1%}{forced}"
        )

    def enforce(self) -> None:
        """Raise DriftCapExceeded when the cap blocks the run."""
        if self.exceeded:
            raise DriftCapExceeded(
                f"{self.describe()}; nothing was written. Check the drift report, then rerun with force "
                "(`shopsync reconcile --force`) or raise reconcile.max_drift_share."
            )


class ReconcileSummary(BaseModel):
    """The flow's return value: counts a caller or an automation can act on."""

    mode: Mode
    dry_run: bool
    order_source: str
    window_start: datetime | None
    orders_seen: int
    orders_changed: int
    customers_checked: int
    contacts_read: int
    creates: int
    adoptions: int
    updates: int
    orphans: int
    duplicates: int
    unchanged: int
    corrections: int
    written: int
    failed: int
    recomputed: int = 0
    rechecked: int = 0
    invalid_orders: int = 0
    held_customers: int = 0
    drift_share: float
    match_score: float
    cap_exceeded: bool
    watermark: str | None = None
    report_dir: str | None = None

    @property
    def drifted(self) -> int:
        """Contacts to create, adopt or rewrite, plus orphans and duplicates only reported."""
        return self.creates + self.adoptions + self.updates + self.orphans + self.duplicates


def expected_all(ledger: Ledger, config: ShopsyncConfig, seq: int = 0) -> LedgerState:
    """Every ledger order as a frame and the expected values of every customer, like the real-time path.

    Args:
        ledger: The order ledger.
        config: Rules and mappings.
        seq: The store sequence, read just before this call.

    Returns:
        The orders and the expected frame (a customer whose orders all stopped qualifying gets zeros).
    """
    batches = [orders_frame_from_columns(columns) for columns in ledger.iter_order_columns()]
    orders = pl.concat(batches, rechunk=True) if batches else orders_frame(())
    return LedgerState(orders, customer_aggregates(orders, config.rules, config.mapping), seq)


def plan_reconciliation(
    state: LedgerState, snapshot: ContactSnapshot, pull: OrderPull, config: ShopsyncConfig
) -> ReconcilePlan:
    """Diff the expected values of the run's customers with the contacts read, and explain each correction.

    Args:
        state: The ledger's orders and expected values.
        snapshot: The contacts read.
        pull: The order read (an incremental run only checks the customers whose orders it saw).
        config: Property names and the orphan policy.

    Returns:
        The plan; its corrections are all "planned" or "reported". Customers with an order Shopify sent
        invalid (`pull.held_customer_ids`) are left out: their expected values would miss that order.
    """
    expected, contacts = state.expected, snapshot.contacts
    keyed = pl.col("shopify_customer_id")
    if pull.mode == "incremental":
        wanted = list(pull.customer_ids)
        expected = expected.filter(pl.col("customer_id").is_in(wanted))
        # A contact found by email may carry another customer's id; out of scope, it must not look orphaned.
        contacts = contacts.filter(keyed.is_null() | keyed.is_in(wanted))
    if held := list(pull.held_customer_ids):
        expected = expected.filter(~pl.col("customer_id").is_in(held))
        contacts = contacts.filter(keyed.is_null() | ~keyed.is_in(held))
    policy = config.reconcile.orphan_policy
    diff = diff_contacts(expected, contacts, orphan_policy=policy, properties=config.properties)
    causes = drift_causes(diff, state.orders, snapshot.last_written, config.properties)
    corrections = planned_corrections(diff, causes, config.properties, orphans_written=policy == "reset")
    currencies = state.expected.get_column("currency").drop_nulls()
    currency = str(currencies.mode().sort()[0]) if len(currencies) else ""
    return ReconcilePlan(diff, corrections, expected.height, snapshot.contacts.height, currency)


def check_drift_cap(diff: ContactDiff, max_share: float, force: bool, population: int = 0) -> DriftCap:
    """The safety cap's verdict for `diff` (call `.enforce()` before writing).

    Args:
        diff: The planned diff; the share is its rewrites of id-matched contacts over the population.
        max_share: `reconcile.max_drift_share`.
        force: Write even above the cap.
        population: How many contacts the share is taken of, when more than `diff.matched`: an incremental
            run only looks at the few customers whose orders changed, which would make one fix a large share,
            so it passes every customer the ledger knows.

    Returns:
        The verdict.
    """
    rewrites, base = diff.updates_wide.height, max(diff.matched, population)
    return DriftCap(rewrites / base if base else 0.0, max_share, rewrites, base, force)


def summarize(
    pull: OrderPull,
    plan: ReconcilePlan,
    corrections: pl.DataFrame,
    cap: DriftCap,
    dry_run: bool,
    rechecked: int = 0,
) -> ReconcileSummary:
    """The run's counts, from the plan and the (possibly written) corrections.

    `rechecked` counts customers outside the plan that another writer touched during the run and that the
    run checked again (`tasks.reconcile.leased_writes`).
    """
    diff = plan.diff
    orphans_kept = diff.orphans.height

    def customers(status: str) -> int:
        rows = corrections.filter(pl.col("status") == status)
        return int(rows.select(pl.col("customer_id").n_unique()).item())

    considered = diff.matched + diff.adoptions.height + diff.creates.height
    return ReconcileSummary(
        mode=pull.mode,
        dry_run=dry_run,
        order_source=pull.source,
        window_start=pull.since,
        orders_seen=pull.orders_seen,
        orders_changed=len(pull.changed_order_ids),
        customers_checked=plan.customers_checked,
        contacts_read=plan.contacts_read,
        creates=diff.creates.height,
        adoptions=diff.adoptions.height,
        updates=diff.updates_wide.height - _orphans_rewritten(diff),
        orphans=orphans_kept,
        duplicates=diff.duplicates.height,
        unchanged=diff.unchanged,
        corrections=corrected_contacts(corrections),
        written=customers("written"),
        failed=customers(FAILED),
        recomputed=customers(RECOMPUTED),
        rechecked=rechecked,
        invalid_orders=len(pull.invalid_orders),
        held_customers=len(pull.held_customer_ids),
        drift_share=cap.share,
        match_score=diff.unchanged / considered if considered else 1.0,
        cap_exceeded=cap.exceeded and not dry_run,
    )


def _orphans_rewritten(diff: ContactDiff) -> int:
    """Orphans whose reset is among the rewrites (the "reset" policy); counted as orphans, not updates."""
    return diff.updates_wide.join(diff.orphans.select("contact_id"), on="contact_id", how="semi").height


def describe_reconcile(summary: ReconcileSummary) -> str:
    """A run name such as "full · 5 drifted of 24 · 5 written" or "incremental dry run · no drift"."""
    head = f"{summary.mode} dry run" if summary.dry_run else summary.mode
    if summary.cap_exceeded:
        return f"{head} · aborted: drift {summary.drift_share:.0%} over the cap"
    if not summary.drifted:
        return f"{head} · no drift in {summary.customers_checked} customers"
    text = f"{head} · {summary.drifted} drifted of {summary.customers_checked}"
    if summary.written or summary.failed:
        text += f" · {summary.written} written"
    return text + (f", {summary.failed} failed" if summary.failed else "")
