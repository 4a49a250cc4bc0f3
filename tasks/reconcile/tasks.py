"""Prefect tasks of the nightly reconciliation: each one calls a step of `tasks.reconcile` and nothing more.

Tasks take the run's `Runtime` and are never cached (their inputs hold live clients; every step is
idempotent: the ledger keeps the newest version, HubSpot gets absolute values).
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import polars as pl
from prefect import get_client, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.runtime import flow_run

from tasks.contacts.leased import LeaseHolder
from tasks.reconcile.contact_pull import ContactSnapshot, pull_contacts
from tasks.reconcile.corrections import sorted_for_display
from tasks.reconcile.drift_report import ReportContext, contact_url, drift_report_markdown, write_report_files
from tasks.reconcile.invalid_orders import write_invalid_orders
from tasks.reconcile.leased_writes import (
    CorrectionWriter,
    WriteOptions,
    WrittenCorrections,
    write_corrections,
    write_source,
)
from tasks.reconcile.pull import Mode, OrderPull, advance_watermark, pull_orders
from tasks.reconcile.redacted import without_redacted
from tasks.reconcile.steps import (
    DriftCap,
    LedgerState,
    ReconcilePlan,
    ReconcileSummary,
    check_drift_cap,
    describe_reconcile,
    expected_all,
    plan_reconciliation,
    summarize,
)
from tasks.rules.frames import EXPECTED_SCHEMA
from tasks.runtime import Runtime

ARTIFACT_ROWS = 500
PROGRESS_KEY = "reconcile-progress"
DRIFT_EVENT = "shopsync.drift.detected"
DRIFT_ALERT_LABEL = "shopsync.drift.alert"


def start_progress() -> UUID:
    """A progress artifact at 0 %, updated as the run pulls and writes."""
    artifact_id = create_progress_artifact(0.0, key=PROGRESS_KEY, description="Reconciliation progress")
    assert isinstance(artifact_id, UUID)  # the sync call returns the id, not a coroutine
    return artifact_id


def report_progress(artifact_id: UUID, percent: float, stage: str) -> None:
    """Move the progress artifact to `percent`, naming the stage that just finished."""
    update_progress_artifact(artifact_id, percent, description=f"Reconciliation: {stage}")


@task(cache_policy=NO_CACHE)
def pull_shopify_orders(runtime: Runtime, mode: Mode, since: datetime | None) -> OrderPull:
    """Read orders (paged, or one bulk export in full mode) into the ledger, leaving invalid ones out."""
    with tempfile.TemporaryDirectory(prefix="shopsync-bulk-") as workdir:
        pull = pull_orders(
            runtime.shopify,
            runtime.ledger,
            mode,
            since,
            timedelta(hours=runtime.config.reconcile.overlap_hours),
            shop_timezone=ZoneInfo(runtime.settings.shopify_shop_timezone),
            workdir=Path(workdir),
        )
    for order in pull.invalid_orders:
        logger = get_run_logger()
        logger.warning(
            "order %s refused, customer %s held back: %s", order.order_id, order.customer_id, order.reason
        )
    return pull


@task(cache_policy=NO_CACHE)
def compute_expected(runtime: Runtime) -> LedgerState:
    """Expected HubSpot values of every customer, from the whole ledger (the real-time path's rules).

    The store sequence is read first, so the write phase can tell which customers changed after this read.
    """
    seq = runtime.leases.sequence()
    return expected_all(runtime.ledger, runtime.config, seq)


@task(cache_policy=NO_CACHE)
def pull_hubspot_contacts(runtime: Runtime, pull: OrderPull, state: LedgerState) -> ContactSnapshot:
    """List every contact (full), or batch-read the contacts of the customers the pull touched."""
    customers = state.customers(pull.customer_ids if pull.mode == "incremental" else None)
    seq = runtime.leases.sequence()
    return pull_contacts(runtime.hubspot, runtime.config, pull.mode, customers, seq=seq)


@task(cache_policy=NO_CACHE)
def list_all_contacts(runtime: Runtime) -> ContactSnapshot:
    """Every live contact with our properties (full mode); needs nothing from the Shopify side."""
    seq = runtime.leases.sequence()
    return pull_contacts(runtime.hubspot, runtime.config, "full", EXPECTED_SCHEMA.to_frame(), seq=seq)


@task(cache_policy=NO_CACHE)
def plan_corrections(
    runtime: Runtime, state: LedgerState, snapshot: ContactSnapshot, pull: OrderPull, force: bool
) -> tuple[ReconcilePlan, DriftCap]:
    """Diff expected with actual, explain each correction, and judge it against the safety cap.

    Redacted customers are left out first (`tasks.reconcile.redacted`).
    """
    state, snapshot = without_redacted(state, snapshot, runtime.redactions.customer_ids())
    plan = plan_reconciliation(state, snapshot, pull, runtime.config)
    population = state.expected.height if pull.mode == "incremental" else 0
    cap = check_drift_cap(plan.diff, runtime.config.reconcile.max_drift_share, force, population)
    get_run_logger().info("%s", cap.describe())
    return plan, cap


@task(cache_policy=NO_CACHE)
def write_hubspot_corrections(
    runtime: Runtime,
    state: LedgerState,
    snapshot: ContactSnapshot,
    pull: OrderPull,
    plan: ReconcilePlan,
    cap: DriftCap,
    options: WriteOptions,
) -> WrittenCorrections:
    """Write the corrections under each customer's lease; a dry run or a blocking cap writes nothing.

    Customers another writer touched after the snapshot are recomputed from the ledger and HubSpot as they
    are while this run holds their lease, so an older snapshot never lands over a newer real-time write.
    """
    if options.dry_run or cap.exceeded:
        return WrittenCorrections(plan.corrections)
    settings = runtime.settings
    writer = CorrectionWriter(
        hubspot=runtime.hubspot,
        ledger=runtime.ledger,
        leases=runtime.leases,
        holder=LeaseHolder(f"reconcile-{flow_run.get_id() or uuid4()}", 2 * settings.claim_lease_seconds),
        config=runtime.config,
        batch_size=options.batch_size,
        source=write_source(pull, options.backfill),
        redacted_among=runtime.redactions.among,
    )
    written = write_corrections(writer, plan, state, snapshot, pull)
    runtime.created_contacts.record(written.created_contact_ids)
    return written


@task(cache_policy=NO_CACHE)
def publish_reconcile_report(
    runtime: Runtime,
    pull: OrderPull,
    snapshot: ContactSnapshot,
    plan: ReconcilePlan,
    written: WrittenCorrections,
    cap: DriftCap,
    dry_run: bool,
) -> ReconcileSummary:
    """Save every correction as Parquet and CSV, publish the report artifacts and the drift event."""
    corrections = written.corrections
    summary = summarize(pull, plan, corrections, cap, dry_run, written.rechecked)
    directory = runtime.settings.data_dir / "reports" / (flow_run.get_id() or "local")
    write_report_files(corrections, directory)
    write_invalid_orders(pull.invalid_orders, directory)
    summary = summary.model_copy(update={"report_dir": str(directory)})
    settings = runtime.settings
    context = ReportContext(
        pull,
        snapshot.taken_at,
        cap,
        plan.currency,
        lambda contact_id: contact_url(contact_id, settings.hubspot_portal_id, settings.hubspot_api_url),
    )
    markdown = drift_report_markdown(summary, corrections, context, runtime.config.properties)
    create_markdown_artifact(markdown, key="drift-report", description=describe_reconcile(summary))
    _publish_table(corrections, directory)
    if summary.drifted or summary.failed:
        _emit_drift(summary, runtime.config.reconcile.alert_drift_contacts)
    return summary


@task(cache_policy=NO_CACHE)
def finish_reconcile(
    runtime: Runtime, pull: OrderPull, summary: ReconcileSummary, cap: DriftCap
) -> ReconcileSummary:
    """Fail on a blocking cap; otherwise advance the watermark (only a real run without failures does)."""
    _rename_run(describe_reconcile(summary))
    if not summary.dry_run:
        cap.enforce()
    if summary.dry_run or summary.failed:
        return summary
    return summary.model_copy(update={"watermark": advance_watermark(runtime.ledger, pull)})


def _publish_table(corrections: pl.DataFrame, directory: Path) -> None:
    shown = sorted_for_display(corrections).head(ARTIFACT_ROWS)
    # Shopify ids exceed 2**53: as JSON numbers the UI's JavaScript would round them.
    rows = shown.with_columns(pl.all().cast(pl.String()).fill_null("")).to_dicts()
    create_table_artifact(
        rows,
        key="drift-corrections",
        description=f"{corrections.height} corrections (first {ARTIFACT_ROWS} shown; all in {directory})",
    )


def _emit_drift(summary: ReconcileSummary, alert_above: int) -> None:
    run_id = flow_run.get_id() or "local"
    emit_event(
        event=DRIFT_EVENT,
        resource={
            "prefect.resource.id": f"shopsync.reconcile.{run_id}",
            "prefect.resource.name": "reconcile",
            # Automations match labels, not payload numbers: the threshold is decided here.
            DRIFT_ALERT_LABEL: "true" if summary.drifted > alert_above else "false",
        },
        payload=summary.model_dump(mode="json") | {"drifted": summary.drifted},
    )


def _rename_run(name: str) -> None:
    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(UUID(run_id), name=name)
