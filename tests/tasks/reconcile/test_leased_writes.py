"""The nightly's writes: the plan goes out under leases, and what others touched since is recomputed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tasks.contacts.leased import LeaseHolder
from tasks.hubspot.client import HubSpotAuth, HubSpotClient
from tasks.reconcile.contact_pull import pull_contacts
from tasks.reconcile.leased_writes import CorrectionWriter, write_planned
from tasks.reconcile.steps import expected_all, plan_reconciliation
from tasks.rules.config import ShopsyncConfig
from tasks.setup.hubspot_properties import ensure_properties
from tasks.shopify.models import OrderRecord
from tasks.store.contact_leases import ContactLeases
from tasks.store.db import create_schema, make_engine
from tasks.store.ledger import Ledger
from tasks.sync.steps import sync_customers_leased
from tests.sandbox.hubspot_sandbox import TOKEN, Sandbox, make_sandbox
from tests.tasks.order_stubs import StubOrder
from tests.tasks.reconcile.test_steps import _pull

CONFIG = ShopsyncConfig()
NIGHTLY = LeaseHolder("nightly", patience=5.0)
REALTIME = LeaseHolder("realtime", patience=5.0)
PLANNED, EDITED, OUTSIDE = 1, 2, 3


def _order(customer_id: int, minutes: int = 0, **changes: object) -> OrderRecord:
    stub = StubOrder(order_id=100 + customer_id, customer_id=customer_id, email=f"c{customer_id}@example.com")
    record = OrderRecord.model_validate(vars(stub))
    return record.model_copy(update={"updated_at": record.updated_at.replace(minute=minutes), **changes})


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Sandbox, HubSpotClient, Ledger, ContactLeases]:
    sandbox = make_sandbox()
    sandbox.client.auth = HubSpotAuth(TOKEN)
    client = HubSpotClient(sandbox.client)
    ensure_properties(client, CONFIG)
    engine = make_engine(f"sqlite:///{tmp_path / 'shopsync.db'}")
    create_schema(engine)
    return sandbox, client, Ledger(engine), ContactLeases(engine, lease_seconds=60.0)


def _total(sandbox: Sandbox, customer_id: int) -> str | None:
    found = sandbox.store.find_by("shopify_customer_id", str(customer_id))
    return None if found is None else found.properties.get("shopify_total_spent")


def _edit_total(sandbox: Sandbox, customer_id: int, total: str) -> None:
    found = sandbox.store.find_by("shopify_customer_id", str(customer_id))
    assert found is not None
    sandbox.store.update_contact(found.id, {"shopify_total_spent": total}, api_write=False)


def test_customers_touched_since_the_snapshot_are_recomputed_not_written_as_planned(setup) -> None:
    """A planned customer whose order changed (and was written by the real-time path) after the snapshot
    gets the newer values; one outside the plan that another writer left stale is re-checked and fixed;
    the untouched planned one is written as planned; no lease is left behind."""
    sandbox, client, ledger, leases = setup
    ledger.upsert([_order(c) for c in (PLANNED, EDITED, OUTSIDE)])
    sync_customers_leased([PLANNED, EDITED, OUTSIDE], ledger, client, CONFIG, leases, REALTIME)
    for customer in (PLANNED, EDITED):
        _edit_total(sandbox, customer, "1.00")  # drift: the nightly plans to write 50.00 back
    state = expected_all(ledger, CONFIG, leases.sequence())
    snapshot = pull_contacts(client, CONFIG, "full", state.expected, seq=leases.sequence())
    plan = plan_reconciliation(state, snapshot, _pull(), CONFIG)
    assert plan.diff.customer_ids() == {PLANNED, EDITED}

    # After the snapshot: a refund of EDITED's order goes through the real-time path, and someone writes a
    # stale total on OUTSIDE's contact while holding its lease (as a real-time run that read early would).
    refunded = _order(EDITED, minutes=5, financial_status="partially_refunded", current_total=Decimal("20"))
    ledger.upsert([refunded])
    sync_customers_leased([EDITED], ledger, client, CONFIG, leases, REALTIME)
    leases.acquire([OUTSIDE], "realtime")
    _edit_total(sandbox, OUTSIDE, "7.00")
    leases.release([OUTSIDE], "realtime")

    writer = CorrectionWriter(client, ledger, leases, NIGHTLY, CONFIG, batch_size=100, source="reconcile")
    done = write_planned(writer, plan.diff, state.seq, snapshot, scope=None)

    assert (_total(sandbox, PLANNED), _total(sandbox, EDITED), _total(sandbox, OUTSIDE)) == (
        "50.00",
        "20.00",
        "50.00",
    )
    assert (done.recomputed, done.rechecked) == ({EDITED}, {OUTSIDE})
    assert len(leases.acquire([PLANNED, EDITED, OUTSIDE], "next")) == 3


def test_without_changes_since_the_snapshot_the_plan_is_written_as_is(setup) -> None:
    """Nobody touched anything: the planned writes go out from the snapshot, nothing is re-read."""
    sandbox, client, ledger, leases = setup
    ledger.upsert([_order(PLANNED)])
    sync_customers_leased([PLANNED], ledger, client, CONFIG, leases, REALTIME)
    _edit_total(sandbox, PLANNED, "1.00")
    state = expected_all(ledger, CONFIG, leases.sequence())
    snapshot = pull_contacts(client, CONFIG, "full", state.expected, seq=leases.sequence())
    plan = plan_reconciliation(state, snapshot, replace(_pull(), mode="full"), CONFIG)

    writer = CorrectionWriter(client, ledger, leases, NIGHTLY, CONFIG, batch_size=100, source="reconcile")
    done = write_planned(writer, plan.diff, state.seq, snapshot, scope=None)

    assert _total(sandbox, PLANNED) == "50.00"
    assert (done.recomputed, done.rechecked, done.report.count("updated")) == (set(), set(), 1)
