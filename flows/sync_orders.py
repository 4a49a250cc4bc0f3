"""Flow `sync-shopify-orders`: drain the webhook inbox into the order ledger and HubSpot.

Started by the receiver (one run per burst window) and by a safety schedule that picks up whatever the
receiver could not hand over. Two runs at once are safe: deliveries are claimed with a lease.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Literal

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.runtime import open_runtime
from tasks.sync.run_names import rename_current_run
from tasks.sync.steps import DeliveryOutcome, delivery_outcomes
from tasks.sync.tasks import (
    claim_deliveries,
    finish_deliveries,
    publish_sync_report,
    purge_old_payloads,
    record_deliveries,
    release_deliveries,
    sync_customers,
)


@flow(name="sync-shopify-orders")
def sync_shopify_orders(
    batch_size: int = 100,
    max_batches: int = 50,
    fill_wait_seconds: float = 0.0,
    write_source: Literal["realtime", "replay"] = "realtime",
) -> dict[str, int]:
    """Sync pending webhook deliveries in batches until the inbox is empty (or `max_batches` is reached).

    Args:
        batch_size: Deliveries claimed per batch (HubSpot writes go out in chunks of at most 100).
        max_batches: Upper bound of batches per run; the next run continues where this one stopped.
        fill_wait_seconds: Before each claim, wait up to this long for `batch_size` deliveries to be pending
            (0: claim at once). Fuller batches spend fewer HubSpot requests per delivery during a burst.
        write_source: The label written with every change: "replay" when `shopsync replay` re-sent
            failed deliveries, so a HubSpot workflow can tell them from orders arriving now.

    Returns:
        Counts of delivery outcomes and contact writes.
    """
    logger = get_run_logger()
    worker_id = f"flow-run-{flow_run.get_id() or 'local'}"
    outcomes: list[DeliveryOutcome] = []
    contacts: Counter[str] = Counter()
    contact_ids: dict[int, str] = {}
    with open_runtime() as runtime:
        for _ in range(max_batches):
            deliveries = claim_deliveries(runtime, batch_size, worker_id, fill_wait_seconds)
            if not deliveries:
                break
            try:
                batch = record_deliveries(runtime, deliveries)
                report, reasons, unchanged = sync_customers(
                    runtime, batch.customer_ids, worker_id, write_source
                )
            except Exception as error:
                release_deliveries(runtime, deliveries, worker_id, error)
                raise
            batch_outcomes = delivery_outcomes(deliveries, batch, reasons, report)
            finish_deliveries(runtime, batch_outcomes)
            outcomes.extend(batch_outcomes)
            contacts.update(outcome.action for outcome in report.outcomes)
            contacts["unchanged"] += unchanged
            contact_ids.update(
                (o.customer_id, o.contact_id) for o in report.outcomes if o.customer_id and o.contact_id
            )
        publish_sync_report(outcomes, contact_ids)
        purge_old_payloads(runtime, datetime.now(UTC))
    summary: dict[str, int] = dict(Counter(outcome.status for outcome in outcomes))
    summary.update((f"contacts_{action}", count) for action, count in contacts.items())
    summary["deliveries"] = len(outcomes)
    rename_current_run(summary)
    logger.info("Synced %d deliveries: %s", len(outcomes), summary)
    return summary
