"""Prefect tasks of the real-time sync: each one calls a step of `tasks.sync.steps` and nothing more.

Tasks take the run's `Runtime` (clients, database) and are never cached: their inputs hold live clients,
and every step is idempotent on its own (ledger newest-wins, absolute HubSpot values).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from tasks.contacts.leased import LeaseHolder
from tasks.contacts.writer import WriteReport
from tasks.rules.config import WriteSource
from tasks.runtime import Runtime
from tasks.store.erasure import REDACTED_REASON, drop_payloads
from tasks.store.inbox import Delivery
from tasks.sync.batch_wait import wait_for_batch
from tasks.sync.steps import (
    DeliveryOutcome,
    RecordedBatch,
    parse_deliveries,
    record_orders,
    sync_customers_leased,
)

ARTIFACT_ROWS = 500


@task(cache_policy=NO_CACHE)
def claim_deliveries(
    runtime: Runtime, limit: int, worker_id: str, fill_wait_seconds: float = 0.0
) -> list[Delivery]:
    """Claim up to `limit` pending deliveries for this run (safe with other runs claiming at once).

    With `fill_wait_seconds`, first wait up to that long for `limit` deliveries to be pending. The claim
    holds for SHOPSYNC_CLAIM_LEASE_SECONDS; if this run dies, another run takes them over after it.
    """
    if fill_wait_seconds > 0:
        wait_for_batch(runtime.inbox.pending_count, limit, fill_wait_seconds)
    return runtime.inbox.claim(limit, worker_id, runtime.settings.claim_lease_seconds)


@task(cache_policy=NO_CACHE)
def record_deliveries(runtime: Runtime, deliveries: Sequence[Delivery]) -> RecordedBatch:
    """Parse the deliveries' orders and upsert them into the ledger (newest `updated_at` wins)."""
    batch = parse_deliveries(deliveries, runtime.shopify.fetch_orders_by_ids)
    lookup = runtime.product_types.lookup if runtime.config.rules.uses_product_types else None
    return record_orders(batch, runtime.ledger, lookup, runtime.redactions.among)


@task(cache_policy=NO_CACHE)
def sync_customers(
    runtime: Runtime, customer_ids: Sequence[int], worker_id: str, source: WriteSource
) -> tuple[WriteReport, dict[int, str | None], int]:
    """Recompute the customers' purchase facts from the ledger and write what differs to HubSpot.

    Each customer is computed and written while this run holds its lease, so no other writer (a nightly
    run, a replay) can land an older value after ours.
    """
    holder = LeaseHolder(worker_id, patience=2 * runtime.settings.claim_lease_seconds)
    synced = sync_customers_leased(
        customer_ids, runtime.ledger, runtime.hubspot, runtime.config, runtime.leases, holder, source
    )
    # Only contacts shopsync created may be deleted by a redaction (`privacy.on_redact = "delete_contact"`).
    runtime.created_contacts.record(
        o.contact_id for o in synced.report.outcomes if o.action == "created" and o.contact_id
    )
    return synced.report, synced.reasons, synced.unchanged


@task(cache_policy=NO_CACHE)
def finish_deliveries(runtime: Runtime, outcomes: Sequence[DeliveryOutcome]) -> None:
    """Record each delivery's final status and reason; a redacted customer's delivery loses its payload."""
    for outcome in outcomes:
        runtime.inbox.finish(outcome.webhook_id, outcome.status, outcome.reason)
    redacted = [o.webhook_id for o in outcomes if o.reason == REDACTED_REASON]
    if redacted:
        drop_payloads(runtime.engine, redacted, datetime.now(UTC), redacted=True)


@task(cache_policy=NO_CACHE)
def release_deliveries(
    runtime: Runtime, deliveries: Sequence[Delivery], worker_id: str, error: BaseException
) -> int:
    """After a failed batch: hand its deliveries back for the next run, or give up on those tried too often.

    A batch that fails on every attempt (a HubSpot outage that outlasts the retries, a record that makes
    HubSpot answer 5xx each time) would otherwise be retried by every run for ever. After
    `max_attempts` claims a delivery ends `failed` with the error, where `shopsync replay` can find it.

    Returns:
        How many deliveries were given up on.
    """
    limit = runtime.settings.max_delivery_attempts
    exhausted = [d.webhook_id for d in deliveries if d.attempts >= limit]
    for webhook_id in exhausted:
        runtime.inbox.finish(webhook_id, "failed", f"gave up after {limit} attempts: {error}"[:1000])
    runtime.inbox.release([d.webhook_id for d in deliveries if d.webhook_id not in exhausted], worker_id)
    return len(exhausted)


@task(cache_policy=NO_CACHE)
def purge_old_payloads(runtime: Runtime, now: datetime) -> int:
    """Drop the customer data of deliveries finished more than SHOPSYNC_PAYLOAD_RETENTION_DAYS ago.

    The inbox keeps each webhook body (customer names, emails, addresses) only as long as it may be needed
    for a replay; failed deliveries keep theirs until they are replayed.
    """
    cutoff = now - timedelta(days=runtime.settings.payload_retention_days)
    return runtime.inbox.purge_payloads(cutoff)


@task(cache_policy=NO_CACHE)
def publish_sync_report(outcomes: Sequence[DeliveryOutcome], contact_ids: dict[int, str]) -> None:
    """A table artifact of order → customer → outcome, and one event per order so it is findable in the UI."""
    rows = [
        {
            "order_id": str(o.order_id) if o.order_id is not None else "",
            "customer_id": str(o.customer_id) if o.customer_id is not None else "",
            "hubspot_contact": contact_ids.get(o.customer_id, "") if o.customer_id is not None else "",
            "topic": o.topic,
            "outcome": o.status,
            "reason": o.reason or "",
        }
        for o in outcomes
    ]
    if rows:
        create_table_artifact(
            rows[:ARTIFACT_ROWS],
            key="sync-outcomes",
            description=f"{len(rows)} deliveries (first {ARTIFACT_ROWS} shown): order → customer → outcome",
        )
    for outcome in outcomes:
        if outcome.order_id is None:
            continue
        emit_event(
            event=f"shopsync.order.{outcome.status}",
            resource={"prefect.resource.id": f"shopify.order.{outcome.order_id}"},
            payload={"topic": outcome.topic, "reason": outcome.reason, "customer_id": outcome.customer_id},
        )
