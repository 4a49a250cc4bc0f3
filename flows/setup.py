"""Flow `setup-shopsync`: everything that must exist before the first sync, idempotent."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.setup.tasks import ensure_alerts, ensure_hubspot_properties, ensure_rate_budgets


@flow(name="setup-shopsync")
def setup_shopsync(budgets: bool = True, alerts_block: str | None = None) -> dict[str, Any]:
    """Create HubSpot properties, the shared API budgets and (optionally) the alerting automations.

    Args:
        budgets: Create the global concurrency limits the clients draw from (needs a Prefect server).
        alerts_block: A saved notification Block as "type-slug/name" (e.g. "slack-webhook/ops"); when
            given, automations notify it about failed runs and nightly drift above the threshold.

    Returns:
        What was created or found, per part.
    """
    summary: dict[str, Any] = {"properties": ensure_hubspot_properties()}
    if budgets:
        summary["budgets"] = ensure_rate_budgets()
    if alerts_block:
        summary["alerts"] = ensure_alerts(alerts_block)
    return summary
