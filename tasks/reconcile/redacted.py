"""Redacted customers stay out of the reconciliation: no expected values, no corrections, no orphans.

The ledger already refuses their orders, so they have no expected values. A contact may still carry a
redacted customer's id, though (a HubSpot user typed it back, or the redaction's clear failed and is being
retried): left in, it would look like an orphan and be reset, i.e. written to by shopsync again.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from tasks.reconcile.contact_pull import ContactSnapshot
from tasks.reconcile.steps import LedgerState


def without_redacted(
    state: LedgerState, snapshot: ContactSnapshot, redacted: set[int]
) -> tuple[LedgerState, ContactSnapshot]:
    """The state and snapshot with every trace of the redacted customers left out."""
    if not redacted:
        return state, snapshot
    ids = pl.Series(sorted(redacted), dtype=pl.Int64()).implode()
    expected = state.expected.filter(~pl.col("customer_id").is_in(ids))
    keyed = pl.col("shopify_customer_id")
    contacts = snapshot.contacts.filter(keyed.is_null() | ~keyed.is_in(ids))
    return replace(state, expected=expected), replace(snapshot, contacts=contacts)
