"""`shopsync setup --alerts` creates the alerting automations once, however often it runs."""

from __future__ import annotations

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client

from tasks.reconcile.tasks import DRIFT_ALERT_LABEL
from tasks.setup.alerts import DRIFT, FAILED_RUNS
from tasks.setup.tasks import ensure_alerts

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_alerts_are_created_once_and_notify_the_named_block() -> None:
    """Two setups leave exactly one automation per alert, each sending to the operator's block."""
    block = CustomWebhookNotificationBlock(name="ops", url="http://127.0.0.1:9/hook")
    block_id = block.save("ops-alerts", overwrite=True)

    ensure_alerts.fn("custom-webhook/ops-alerts")
    names = ensure_alerts.fn("custom-webhook/ops-alerts")

    assert names == [FAILED_RUNS, DRIFT]
    with get_client(sync_client=True) as client:
        for name in names:
            (automation,) = client.read_automations_by_name(name)
            assert automation.enabled
            assert automation.actions[0].block_document_id == block_id  # type: ignore[union-attr]
        (drift,) = client.read_automations_by_name(DRIFT)
    assert drift.trigger.match[DRIFT_ALERT_LABEL] == ["true"]  # type: ignore[union-attr]
    assert "shopsync.drift.detected" in drift.trigger.expect  # type: ignore[union-attr]
