"""Flow `setup-shopsync`: everything that must exist before the first sync, idempotent."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.setup.tasks import (
    ensure_alerts,
    ensure_database,
    ensure_hubspot_properties,
    ensure_rate_budgets,
    ensure_shopify_webhooks,
)


@flow(name="setup-shopsync")
def setup_shopsync(
    budgets: bool = True, alerts_block: str | None = None, receiver_url: str | None = None
) -> dict[str, Any]:
    """Create what the first sync needs: tables, properties, webhook subscriptions, budgets, alerts.

    Args:
        budgets: Create the global concurrency limits the clients draw from (needs a Prefect server).
        alerts_block: A saved notification Block as "type-slug/name" (e.g. "slack-webhook/ops"); when
            given, automations notify it about failed runs and nightly drift above the threshold.
        receiver_url: The public address of the receiver's `POST /webhooks/shopify`; when given, every
            topic the receiver consumes is subscribed to it (a subscription pointing elsewhere is moved).

    Returns:
        What was created or found, per part.
    """
    summary: dict[str, Any] = {"database": ensure_database(), "properties": ensure_hubspot_properties()}
    if receiver_url:
        summary["webhooks"] = ensure_shopify_webhooks(receiver_url)
    if budgets:
        summary["budgets"] = ensure_rate_budgets()
    if alerts_block:
        summary["alerts"] = ensure_alerts(alerts_block)
    return summary
