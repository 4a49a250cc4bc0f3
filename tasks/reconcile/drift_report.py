"""The reconciliation report: a markdown page for the Prefect UI and the full corrections as Parquet and CSV.

Pure functions over the summary and the corrections table (`tasks.reconcile.corrections`), so the page's
content is tested without Prefect; `tasks.reconcile.tasks` publishes it as the `drift-report` artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from tasks.reconcile.invalid_orders import invalid_orders_markdown
from tasks.reconcile.pull import OrderPull
from tasks.reconcile.steps import DriftCap, ReconcileSummary
from tasks.rules.config import PropertiesConfig
from tasks.rules.frames import MONEY

LARGEST_SHOWN = 10
CorrectionLink = Callable[[str], str]
_CATEGORIES = (
    ("creates", "contacts to create (customer has no contact)"),
    ("adoptions", "contacts found by email only, to link"),
    ("updates", "contacts with drifted values, to rewrite"),
    ("orphans", "contacts whose customer no longer has a qualifying order"),
    ("duplicates", "extra contacts carrying an already used Shopify id (reported only)"),
    ("unchanged", "contacts already correct"),
    ("failed", "contacts HubSpot refused (see drift-corrections)"),
)


@dataclass(frozen=True)
class ReportContext:
    """What the page says about the run beside the counts."""

    pull: OrderPull
    contacts_read_at: datetime
    cap: DriftCap
    currency: str
    contact_link: CorrectionLink


def contact_url(contact_id: str, portal_id: str | None, api_url: str) -> str:
    """The contact's page in HubSpot, or its API record on a portal without an id (the sandbox)."""
    if portal_id:
        return f"https://app.hubspot.com/contacts/{portal_id}/record/0-1/{contact_id}"
    return f"{api_url.rstrip('/')}/crm/v3/objects/contacts/{contact_id}"


def drift_report_markdown(
    summary: ReconcileSummary, corrections: pl.DataFrame, context: ReportContext, properties: PropertiesConfig
) -> str:
    """The `drift-report` markdown: window, snapshots, counts, match score, per-property drift, the largest
    corrections with links, likely causes, and the orders refused as invalid.

    Args:
        summary: The run's counts.
        corrections: CORRECTIONS_SCHEMA rows (planned in a dry run, written or failed otherwise).
        context: Window, snapshot times, the cap verdict, currency and the contact link builder.
        properties: HubSpot property names (which one is the money total).

    Returns:
        The page.
    """
    sections = [
        _header(summary, context),
        _category_table(summary),
        _property_table(corrections, properties, context.currency),
        _largest_corrections(corrections, properties, context),
        _causes(corrections),
        invalid_orders_markdown(context.pull.invalid_orders),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _header(summary: ReconcileSummary, context: ReportContext) -> str:
    pull = context.pull
    window = f"orders updated since {_time(pull.since)}" if pull.since else "every order"
    mode = f"{summary.mode} run" + (" — **dry run, nothing written**" if summary.dry_run else "")
    outcome = "**Aborted before writing:** " if summary.cap_exceeded else "Safety cap: "
    return "\n".join(
        [
            f"# Shopify → HubSpot drift report ({mode})",
            "",
            f"- **Window:** {window}, read via {pull.source} ({pull.orders_seen} orders, "
            f"{len(pull.changed_order_ids)} new to the ledger)",
            f"- **Snapshots:** Shopify orders as of {_time(pull.finished_at)}; HubSpot contacts as of "
            f"{_time(context.contacts_read_at)} ({summary.contacts_read} contacts read)",
            f"- **Match score:** {summary.match_score:.1%} of the contacts of "
            f"{summary.customers_checked} customers already held the expected values",
            f"- {outcome}{context.cap.describe()}",
        ]
    )


def _category_table(summary: ReconcileSummary) -> str:
    rows = [f"| {name} | {getattr(summary, name)} | {meaning} |" for name, meaning in _CATEGORIES]
    return "\n".join(["## Counts", "", "| category | contacts | meaning |", "| --- | ---: | --- |", *rows])


def _money_delta() -> pl.Expr:
    after = pl.col("after").replace("", None).cast(MONEY, strict=False).fill_null(0)
    before = pl.col("before").replace("", None).cast(MONEY, strict=False).fill_null(0)
    return after - before


def _property_table(corrections: pl.DataFrame, properties: PropertiesConfig, currency: str) -> str:
    values = corrections.filter(pl.col("kind").is_in(["create", "adopt", "update", "reset", "orphan"]))
    if values.is_empty():
        return "## Drift per property\n\nNo property drifted."
    per_property = (
        values.group_by("property")
        .agg(
            pl.col("customer_id").n_unique().alias("contacts"),
            _money_delta().sum().alias("delta"),
        )
        .sort("contacts", "property", descending=[True, False])
    )
    rows = [
        f"| {row['property']} | {row['contacts']} | "
        f"{_signed(row['delta'], currency) if row['property'] == properties.total_spent else '—'} |"
        for row in per_property.iter_rows(named=True)
    ]
    header = ["## Drift per property", "", "| property | drifted contacts | total money delta |"]
    return "\n".join([*header, "| --- | ---: | ---: |", *rows])


def _largest_corrections(
    corrections: pl.DataFrame, properties: PropertiesConfig, context: ReportContext
) -> str:
    totals = corrections.filter(pl.col("property") == properties.total_spent).with_columns(
        delta=_money_delta()
    )
    if totals.is_empty():
        return ""
    # Rewrites of values HubSpot already held come first: they are what a reader must double-check.
    fresh = ~pl.col("kind").is_in(["update", "reset", "orphan"])
    largest = totals.sort(fresh, pl.col("delta").abs(), "customer_id", descending=[False, True, False]).head(
        LARGEST_SHOWN
    )
    rows = []
    for row in largest.iter_rows(named=True):
        contact = row["contact_id"]
        link = f"[{contact}]({context.contact_link(contact)})" if contact else "(new)"
        before = row["before"] or "—"
        change = f"{before} → {row['after'] or '—'} ({_signed(row['delta'], context.currency)})"
        rows.append(f"| {row['customer_id']} | {link} | {row['kind']} | {change} | {row['cause'] or '—'} |")
    return "\n".join(
        [
            f"## Largest corrections of {properties.total_spent} (rewrites first)",
            "",
            "| Shopify customer | HubSpot contact | kind | before → after | likely cause |",
            "| ---: | --- | --- | --- | --- |",
            *rows,
        ]
    )


def _causes(corrections: pl.DataFrame) -> str:
    per_cause = (
        corrections.filter(pl.col("cause").is_not_null())
        .group_by("cause")
        .agg(pl.col("customer_id").n_unique().alias("contacts"))
        .sort("contacts", "cause", descending=[True, False])
    )
    if per_cause.is_empty():
        return ""
    lines = [f"- **{row['cause']}**: {row['contacts']}" for row in per_cause.iter_rows(named=True)]
    return "\n".join(["## Likely causes", "", *lines, "", _CAUSE_HELP])


_CAUSE_HELP = (
    "_refund_: an order was refunded after the contact's last write, or HubSpot's total is higher than "
    "expected with refunds present · _missed webhook_: no contact, fewer orders than expected, or an order "
    "changed after the last write · _manual edit_: values no order state explains · _unlinked contact_: "
    "found by email, never stamped with the Shopify id."
)


def _signed(amount: Decimal | None, currency: str) -> str:
    value = amount or Decimal("0")
    return f"{'+' if value > 0 else ''}{value:,.2f} {currency}"


def _time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def write_report_files(corrections: pl.DataFrame, directory: Path) -> list[Path]:
    """Write every correction as `corrections.parquet` and `corrections.csv` in `directory` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    parquet, csv = directory / "corrections.parquet", directory / "corrections.csv"
    corrections.write_parquet(parquet)
    corrections.write_csv(csv)
    return [parquet, csv]
