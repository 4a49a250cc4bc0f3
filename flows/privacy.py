"""Flow `privacy-requests`: carry out Shopify's compliance requests waiting in the inbox.

The receiver answers Shopify at once and asks for a run; a safety schedule catches what it could not hand
over. Shopify gives 30 days; the flow does the work within minutes: `customers/redact` forgets the customer
everywhere shopsync copied them, `shop/redact` forgets the shop, `customers/data_request` writes a report.
"""

from __future__ import annotations

from collections import Counter

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.privacy.tasks import claim_privacy_requests, handle_privacy_request, release_privacy_requests
from tasks.runtime import open_runtime


@flow(name="privacy-requests")
def privacy_requests(batch_size: int = 20, max_batches: int = 10) -> dict[str, int]:
    """Handle waiting compliance requests, oldest first, until none is left (or `max_batches`).

    Args:
        batch_size: Requests claimed at a time.
        max_batches: Upper bound of batches per run; the next run continues.

    Returns:
        How many requests of each topic were handled, and what they did, in counts.
    """
    worker_id = f"flow-run-{flow_run.get_id() or 'local'}"
    totals: Counter[str] = Counter()
    with open_runtime() as runtime:
        for _ in range(max_batches):
            deliveries = claim_privacy_requests(runtime, batch_size, worker_id)
            if not deliveries:
                break
            for index, delivery in enumerate(deliveries):
                try:
                    totals.update(handle_privacy_request(runtime, delivery, worker_id))
                except Exception as error:
                    release_privacy_requests(runtime, deliveries[index:], worker_id, error)
                    raise
                totals[delivery.topic] += 1
    summary = dict(totals)
    get_run_logger().info("Privacy requests handled: %s", summary)
    return summary
