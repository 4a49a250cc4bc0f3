"""Alerting automations: notify on failed or crashed runs and on large nightly drift.

Created by `shopsync setup --alerts`. The notification goes to a Prefect notification Block the operator
names (Slack, Teams, email, a custom webhook …); see the README's "Alerting" section.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from tasks.reconcile.tasks import DRIFT_ALERT_LABEL

FAILED_RUNS = "shopsync: flow run failed or crashed"
DRIFT = "shopsync: nightly drift above threshold"


def desired_automations(block_document_id: UUID) -> list[AutomationCore]:
    """The two automations, notifying through the given Block."""
    failed = AutomationCore(
        name=FAILED_RUNS,
        description="A shopsync flow run ended Failed or Crashed.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.name": ["sync-shopify-orders", "reconcile-shopify-hubspot"]},
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="shopsync run {{ flow_run.name }} {{ flow_run.state.name }}",
                body="Flow run {{ flow_run.name }} ended {{ flow_run.state.name }}: {{ flow_run|ui_url }}",
            )
        ],
    )
    drift = AutomationCore(
        name=DRIFT,
        description="The nightly reconciliation found more drift than `reconcile.alert_drift_contacts`.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "shopsync.reconcile.*", DRIFT_ALERT_LABEL: "true"},
            expect={"shopsync.drift.detected"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="shopsync drift: {{ event.payload.drifted }} contacts",
                body=(
                    "Nightly reconciliation found {{ event.payload.drifted }} drifted contacts "
                    "({{ event.payload.creates }} missing in HubSpot, "
                    "{{ event.payload.updates }} to rewrite, {{ event.payload.failed }} refused). "
                    "Full list: {{ event.payload.report_dir }}"
                ),
            )
        ],
    )
    return [failed, drift]


def ensure_automations(block_document_id: UUID) -> list[str]:
    """Create the automations, replacing earlier versions of the same name; returns their names."""
    names = []
    with get_client(sync_client=True) as client:
        for automation in desired_automations(block_document_id):
            for existing in client.read_automations_by_name(automation.name):
                client.delete_automation(existing.id)
            client.create_automation(automation)
            names.append(automation.name)
    return names
