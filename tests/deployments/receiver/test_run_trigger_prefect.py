"""The receiver's run trigger against a real Prefect API: one run per burst window, never more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

from deployments.receiver.run_trigger import PrefectRunTrigger, sync_window
from flows.sync_orders import sync_shopify_orders

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_burst_becomes_one_scheduled_run_per_window_even_from_two_receivers() -> None:
    """Deliveries of one window from two receivers share one run, scheduled when the window closes."""
    deployment_id = sync_shopify_orders.to_deployment(name="trigger-test").apply()
    start = datetime(2026, 11, 27, 12, 0, 0, 100_000, tzinfo=UTC)
    first_receiver = PrefectRunTrigger("sync-shopify-orders/trigger-test", window_seconds=2.0)
    second_receiver = PrefectRunTrigger("sync-shopify-orders/trigger-test", window_seconds=2.0)
    for offset in (0.0, 0.3, 1.2):  # one window
        first_receiver.request_sync(start + timedelta(seconds=offset))
        second_receiver.request_sync(start + timedelta(seconds=offset))
    first_receiver.request_sync(start + timedelta(seconds=2.5))  # the next window
    first_receiver.close()
    second_receiver.close()

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )
    windows = [sync_window(start, 2.0), sync_window(start + timedelta(seconds=2.5), 2.0)]
    assert sorted(run.idempotency_key or "" for run in runs) == sorted(w.idempotency_key for w in windows)
    for run in runs:
        window = next(w for w in windows if w.idempotency_key == run.idempotency_key)
        assert run.state is not None and run.state.is_scheduled()
        assert run.next_scheduled_start_time == window.closes_at
        assert "shopify-webhook" in run.tags
