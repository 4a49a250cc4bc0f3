"""Prefect tasks of the privacy flow: each one calls the steps of `tasks.privacy` and nothing more.

Tasks return counts, never the customer: what a request names stays inside the task that handles it.
Logs name webhook ids and counts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from prefect import get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.contacts.leased import LeaseHolder
from tasks.privacy.artifacts import DATA_REQUEST_KEY, delete_all_artifacts, forget_in_artifacts
from tasks.privacy.requests import parse_customer_request
from tasks.privacy.steps import PrivacyContext, export_customer, redact_customer, redact_shop
from tasks.runtime import Runtime
from tasks.shopify.topics import PRIVACY_TOPICS
from tasks.store.erasure import drop_payloads
from tasks.store.inbox import Delivery


def privacy_context(runtime: Runtime) -> PrivacyContext:
    """The steps' view of the run's runtime."""
    return PrivacyContext(
        runtime.engine,
        runtime.leases,
        runtime.created_contacts,
        runtime.hubspot,
        runtime.config,
        runtime.settings.data_dir,
    )


@task(cache_policy=NO_CACHE)
def claim_privacy_requests(runtime: Runtime, limit: int, worker_id: str) -> list[Delivery]:
    """Claim up to `limit` waiting compliance deliveries, oldest first (leased like the sync's)."""
    lease = runtime.settings.claim_lease_seconds
    return runtime.inbox.claim(limit, worker_id, lease, topics=frozenset(PRIVACY_TOPICS))


@task(cache_policy=NO_CACHE)
def handle_privacy_request(runtime: Runtime, delivery: Delivery, worker_id: str) -> dict[str, int]:
    """Carry out one compliance request, then mark it done and drop its payload (it names the customer).

    Returns:
        What was done, in counts.
    """
    context = privacy_context(runtime)
    now = datetime.now(UTC)
    counts: dict[str, int]
    if delivery.topic == "shop/redact":
        counts = redact_shop(context)
        with get_client(sync_client=True) as client:
            counts["artifacts_deleted"] = delete_all_artifacts(client)
    elif delivery.topic == "customers/redact":
        request = parse_customer_request(delivery.payload_object())
        holder = LeaseHolder(f"privacy-{worker_id}", 2 * runtime.settings.claim_lease_seconds)
        redaction = redact_customer(context, request, holder, now)
        with get_client(sync_client=True) as client:
            cleanup = forget_in_artifacts(client, redaction.mentions)
        counts = {
            "orders": redaction.orders,
            "deliveries": redaction.deliveries,
            "contacts_cleared": redaction.contacts_cleared,
            "contacts_deleted": redaction.contacts_deleted,
            "report_lines": redaction.report_lines,
            "artifacts_rewritten": cleanup.rewritten,
            "artifacts_deleted": cleanup.deleted,
        }
    else:
        request = parse_customer_request(delivery.payload_object())
        markdown, _ = export_customer(context, request, now)
        # The one artifact that shows personal data on purpose (docs/real-store.md, "Privacy requests").
        description = "Customer data request: personal data, shown on purpose"
        create_markdown_artifact(markdown, key=DATA_REQUEST_KEY, description=description)
        counts = {"exported": 1}
    runtime.inbox.finish(delivery.webhook_id, "synced")
    drop_payloads(runtime.engine, [delivery.webhook_id], now)
    get_run_logger().info("%s %s done: %s", delivery.topic, delivery.webhook_id, counts)
    return counts


@task(cache_policy=NO_CACHE)
def release_privacy_requests(
    runtime: Runtime, deliveries: Sequence[Delivery], worker_id: str, error: BaseException
) -> None:
    """After a failure: hand the requests back for the next run, or give up on those tried too often.

    The reason recorded names the error's type only: a HubSpot error's text may carry a contact's path.
    """
    limit = runtime.settings.max_delivery_attempts
    exhausted = [d.webhook_id for d in deliveries if d.attempts >= limit]
    for webhook_id in exhausted:
        runtime.inbox.finish(webhook_id, "failed", f"gave up after {limit} attempts: {type(error).__name__}")
    runtime.inbox.release([d.webhook_id for d in deliveries if d.webhook_id not in exhausted], worker_id)
