"""`shopsync reconcile`: run the reconciliation flow once, now, and print what it found."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from flows.reconcile import reconcile_shopify_hubspot
from tasks.reconcile.steps import DriftCapExceeded, ReconcileSummary, describe_reconcile

_ROWS = (
    ("orders read", "orders_seen"),
    ("customers checked", "customers_checked"),
    ("contacts read", "contacts_read"),
    ("to create", "creates"),
    ("to link (found by email)", "adoptions"),
    ("to rewrite", "updates"),
    ("orphans", "orphans"),
    ("duplicates (reported)", "duplicates"),
    ("already correct", "unchanged"),
    ("written", "written"),
    ("failed", "failed"),
)


def run_reconcile(
    *,
    full: bool,
    since: datetime | None,
    dry_run: bool,
    force: bool,
    backfill: bool = False,
    console: Console | None = None,
) -> int:
    """Run the flow here and print a summary; the exit code is 1 when capped or a write failed.

    `backfill` labels the writes a history import; without it the flow decides (the first run is one).
    """
    console = console or Console()
    try:
        summary = reconcile_shopify_hubspot(
            mode="full" if full else "incremental",
            since=since,
            dry_run=dry_run,
            force=force,
            backfill=True if backfill else None,
        )
    except DriftCapExceeded as error:
        console.print(f"[bold red]Aborted before writing:[/] {error}")
        return 1
    console.print(summary_table(summary))
    if summary.report_dir:
        console.print(f"Every correction: {summary.report_dir}/corrections.parquet (and .csv)")
    return 1 if summary.failed else 0


def summary_table(summary: ReconcileSummary) -> Table:
    """The run's counts as a rich table titled with the run's name."""
    table = Table(title=f"reconcile: {describe_reconcile(summary)}")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, field in _ROWS:
        table.add_row(label, str(getattr(summary, field)))
    table.add_row("match score", f"{summary.match_score:.1%}")
    table.add_row("drift share (cap input)", f"{summary.drift_share:.1%}")
    table.add_row("watermark", summary.watermark or "unchanged")
    return table
