"""Flow `reconcile-shopify-hubspot`: the nightly safety net that makes HubSpot equal to what Shopify says.

Pulls orders into the ledger, recomputes every customer's expected values with the real-time path's rules,
diffs them with HubSpot, writes only what drifted (unless dry run or over the safety cap), and reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from prefect import flow

from tasks.reconcile.leased_writes import WriteOptions
from tasks.reconcile.steps import ReconcileSummary
from tasks.reconcile.tasks import (
    compute_expected,
    finish_reconcile,
    list_all_contacts,
    plan_corrections,
    publish_reconcile_report,
    pull_hubspot_contacts,
    pull_shopify_orders,
    report_progress,
    start_progress,
    write_hubspot_corrections,
)
from tasks.runtime import open_runtime


@flow(name="reconcile-shopify-hubspot")
def reconcile_shopify_hubspot(
    mode: Literal["incremental", "full"] = "incremental",
    since: datetime | None = None,
    dry_run: bool = False,
    force: bool = False,
    batch_size: int = 100,
    backfill: bool | None = None,
) -> ReconcileSummary:
    """Reconcile HubSpot contacts with Shopify orders once.

    Args:
        mode: "incremental" re-checks the customers of orders updated since the last successful run (minus
            `reconcile.overlap_hours`); "full" exports every order and lists every contact.
        since: Read orders updated since this moment instead of the watermark.
        dry_run: Report what would change and write nothing (the watermark stays put).
        force: Write even when the drift exceeds `reconcile.max_drift_share`.
        batch_size: Contacts per HubSpot batch request (at most 100).
        backfill: Label the writes "backfill" (a history import no workflow should act on) instead of
            "reconcile"; None decides by itself: the first run on a database is a backfill.

    Returns:
        The run's counts; the report is in the `drift-report` and `drift-corrections` artifacts.

    Raises:
        DriftCapExceeded: The drift is over the cap and `force` is off (the report is published first).
    """
    progress = start_progress()
    with open_runtime() as runtime:
        # A full run lists every contact whatever the orders say, so HubSpot is read while Shopify exports.
        listing = list_all_contacts.submit(runtime) if mode == "full" else None
        pull = pull_shopify_orders(runtime, mode, since)
        report_progress(progress, 30, f"{pull.orders_seen} orders pulled")
        state = compute_expected(runtime)
        snapshot = listing.result() if listing else pull_hubspot_contacts(runtime, pull, state)
        report_progress(progress, 60, f"{snapshot.contacts.height} contacts read")
        plan, cap = plan_corrections(runtime, state, snapshot, pull, force)
        options = WriteOptions(dry_run, batch_size, backfill)
        written = write_hubspot_corrections(runtime, state, snapshot, pull, plan, cap, options)
        report_progress(progress, 90, "dry run: nothing written" if dry_run else "writes finished")
        summary = publish_reconcile_report(runtime, pull, snapshot, plan, written, cap, dry_run)
        report_progress(progress, 100, "done")
        return finish_reconcile(runtime, pull, summary, cap)
