"""A likely cause for each drifted contact, so the report says why HubSpot drifted, not only that it did.

Pure Polars over the diff, the ledger's orders and each contact's last write. The rules, first match wins:

- refund: a refunded order changed after the contact's last write, or HubSpot's total is higher than expected
  while the customer has refunded orders;
- missed webhook: no contact at all, a lower order count than expected, or any order that changed after the
  contact's last write;
- manual edit: none of the above, i.e. values no order state explains.

A contact found only by email (an adoption) was simply never linked: "unlinked contact".
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from tasks.contacts.diff import ContactDiff
from tasks.rules.config import PropertiesConfig
from tasks.rules.frames import MONEY

Cause = Literal["refund", "missed webhook", "manual edit", "unlinked contact"]
REFUND, MISSED_WEBHOOK, MANUAL_EDIT, UNLINKED = "refund", "missed webhook", "manual edit", "unlinked contact"
CAUSES_SCHEMA = pl.Schema({"customer_id": pl.Int64(), "cause": pl.String()})
_REFUNDED = ("partially_refunded", "refunded")


def drift_causes(
    diff: ContactDiff, orders: pl.DataFrame, last_written: pl.DataFrame, properties: PropertiesConfig
) -> pl.DataFrame:
    """One likely cause per customer whose contact is created, adopted, rewritten or reported as an orphan.

    Args:
        diff: The diff to explain.
        orders: ORDERS_SCHEMA frame (the ledger); reads `customer_id`, `updated_at`, `financial_status`.
        last_written: contact_id, last_written (UTC); contacts missing here are judged on their values only.
        properties: HubSpot property names (to find the total and count in `diff.updates`).

    Returns:
        CAUSES_SCHEMA, one row per customer, sorted by customer_id.
    """
    creates = diff.creates.select("customer_id", cause=pl.lit(MISSED_WEBHOOK))
    adoptions = diff.adoptions.select("customer_id", cause=pl.lit(UNLINKED))
    changed = _changed_contacts(diff, properties).join(last_written, on="contact_id", how="left")
    history = _order_history(orders, changed)
    judged = changed.join(history, on="customer_id", how="left").select("customer_id", _cause())
    causes = pl.concat([c.cast(CAUSES_SCHEMA) for c in (creates, adoptions, judged)])
    return causes.unique("customer_id", keep="first", maintain_order=True).sort("customer_id")


def _changed_contacts(diff: ContactDiff, properties: PropertiesConfig) -> pl.DataFrame:
    """contact_id, customer_id and old/new total and count of every rewritten or orphaned contact."""
    facts = {properties.total_spent: "total", properties.order_count: "count"}
    values = (
        diff.updates.filter(pl.col("property").is_in(list(facts)))
        .with_columns(pl.col("property").replace_strict(facts))
        .pivot(on="property", index=["contact_id", "customer_id"], values=["old", "new"])
    )
    for side in ("old", "new"):
        for fact in ("total", "count"):
            name = f"{side}_{fact}"
            if name not in values.columns:
                values = values.with_columns(pl.lit(None, pl.String()).alias(name))
    contacts = diff.updates.select("contact_id", "customer_id").unique(maintain_order=True)
    rewritten = contacts.join(values, on=["contact_id", "customer_id"], how="left").select(
        "contact_id",
        "customer_id",
        *(pl.col(f"{s}_total").cast(MONEY, strict=False) for s in ("old", "new")),
        *(pl.col(f"{s}_count").cast(pl.Int64(), strict=False) for s in ("old", "new")),
    )
    orphans = diff.orphans.select(
        "contact_id",
        "customer_id",
        old_total=pl.col("total_spent"),
        new_total=pl.lit(0).cast(MONEY),
        old_count=pl.col("order_count"),
        new_count=pl.lit(0, pl.Int64()),
    )
    both = pl.concat([rewritten, orphans.cast(rewritten.schema)])
    return both.unique("contact_id", keep="first", maintain_order=True)


def _order_history(orders: pl.DataFrame, changed: pl.DataFrame) -> pl.DataFrame:
    """Per customer: any refunds, and whether any (refunded) order changed after the contact's last write."""
    after_write = pl.col("updated_at") > pl.col("last_written")
    refunded = pl.col("financial_status").is_in(_REFUNDED)
    return (
        orders.select("customer_id", "updated_at", "financial_status")
        .join(changed.select("customer_id", "last_written"), on="customer_id", how="inner")
        .group_by("customer_id")
        .agg(
            refunded.any().alias("has_refunds"),
            (refunded & after_write).fill_null(False).any().alias("refunded_after_write"),
            after_write.fill_null(False).any().alias("changed_after_write"),
        )
    )


def _cause() -> pl.Expr:
    higher_total = pl.col("old_total") > pl.col("new_total")
    refund = pl.col("refunded_after_write") | (higher_total & pl.col("has_refunds"))
    fewer_orders = pl.col("old_count").fill_null(0) < pl.col("new_count").fill_null(0)
    missed = fewer_orders | pl.col("changed_after_write")
    return (
        pl.when(refund.fill_null(False))
        .then(pl.lit(REFUND))
        .when(missed.fill_null(False))
        .then(pl.lit(MISSED_WEBHOOK))
        .otherwise(pl.lit(MANUAL_EDIT))
        .alias("cause")
    )
