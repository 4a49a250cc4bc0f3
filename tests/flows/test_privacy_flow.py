"""The privacy-requests flow end to end: signed compliance webhooks → receiver → inbox → flow → store,
HubSpot, data folder and Prefect artifacts. (The exhaustive search is the drill `test_redaction.py`.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import func, select

from flows.privacy import privacy_requests
from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from tasks.privacy.artifacts import DATA_REQUEST_KEY, SHOPSYNC_KEYS
from tasks.privacy.hubspot_contacts import clearable_properties
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.inbox import webhook_deliveries
from tasks.store.ledger import Ledger, order_ledger
from tasks.store.redactions import CreatedContacts
from tests.flows.world import World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    (tmp_path / "shopsync.toml").write_text(
        '[reconcile]\nmax_drift_share = 1.0\n[privacy]\non_redact = "delete_contact"\n'
    )
    with build_world(tmp_path, monkeypatch, synced=False) as built:
        yield built


def _synced_customer(world: World) -> tuple[int, list[dict]]:
    """The customer with the most paid orders, every one of them delivered and synced."""
    store = world.sandbox.shopify_store
    paid = [
        o for o in store.orders() if o.get("customer") and o["financial_status"] == "paid" and not o["test"]
    ]
    counts: dict[int, int] = {}
    for order in paid:
        counts[order["customer"]["id"]] = counts.get(order["customer"]["id"], 0) + 1
    customer_id = max(counts, key=lambda customer: counts[customer])
    orders = [o for o in paid if o["customer"]["id"] == customer_id]
    for order in orders:
        assert world.deliver("orders/paid", order["id"]) == 200
    sync_shopify_orders()
    return customer_id, orders


def _artifacts(keys: tuple[str, ...]) -> list:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys))))


def test_a_data_request_lists_what_shopsync_holds(world: World, tmp_path: Path) -> None:
    """The report names each ledger order, the deliveries that carried them and the HubSpot values written,
    in a file and an artifact; the request itself keeps no payload once answered."""
    customer_id, orders = _synced_customer(world)
    contact = world.contact_of(customer_id)
    assert contact is not None
    assert world.request("customers/data_request", customer_id, "data-request-1") == 200
    assert world.inbox.get("data-request-1").status == "pending"
    sync_shopify_orders()
    assert world.inbox.get("data-request-1").status == "pending", "the order sync leaves compliance requests"

    privacy_requests()

    (report,) = (tmp_path / "data" / "privacy" / "data-requests").glob(f"customer-{customer_id}-*.md")
    text = report.read_text()
    assert all(order["name"] in text and str(order["id"]) in text for order in orders)
    assert f"| shopify_total_spent | {contact['shopify_total_spent']} |" in text
    assert text.count("| orders/paid |") == len(orders)
    (artifact,) = [a for a in _artifacts((DATA_REQUEST_KEY,)) if str(customer_id) in str(a.data)]
    assert artifact.data == text
    answered = world.inbox.get("data-request-1")
    assert (answered.status, answered.payload) == ("synced", None)


def test_delete_contact_removes_the_contact_shopsync_created_and_nothing_comes_back(world: World) -> None:
    """Under `delete_contact` the contact shopsync created is cleared and archived; a late webhook ends
    skipped "customer redacted" and a full reconciliation neither recreates nor resets it."""
    customer_id, orders = _synced_customer(world)
    contact_id = next(
        c.id
        for c in world.sandbox.hubspot_store.contacts()
        if c.properties.get("shopify_customer_id") == str(customer_id)
    )
    engine = database(get_settings().sqlalchemy_url)
    assert CreatedContacts(engine).created_by_shopsync([contact_id]) == {contact_id}

    assert world.request("customers/redact", customer_id) == 200
    privacy_requests()
    assert world.sandbox.hubspot_store.get(contact_id) is None
    assert world.deliver("orders/paid", orders[0]["id"], "late-paid") == 200
    sync_shopify_orders()
    reconcile_shopify_hubspot(mode="full")

    assert world.contacts_with_id(customer_id) == 0, "no contact was created or stamped again"
    late = world.inbox.get("late-paid")
    assert (late.status, late.reason, late.payload, late.order_id) == (
        "skipped",
        "customer redacted",
        None,
        None,
    )
    assert Ledger(engine).orders_for_customers([customer_id]) == []
    (archived,) = [c for c in world.sandbox.hubspot_store.archived_contacts() if c.id == contact_id]
    assert [n for n in clearable_properties(ShopsyncConfig()) if archived.properties.get(n)] == []


def test_a_shop_redaction_purges_the_store_reports_and_artifacts(world: World, tmp_path: Path) -> None:
    """After shop/redact nothing of the shop is left in the tables, the data folder or Prefect's artifacts;
    a second shop/redact (Shopify retries with a new id after an outage) is harmless."""
    _synced_customer(world)
    reconcile_shopify_hubspot(mode="full")
    assert any((tmp_path / "data" / "reports").rglob("corrections.parquet"))

    assert world.request("shop/redact") == 200
    privacy_requests()
    assert world.request("shop/redact") == 200
    privacy_requests()

    engine = database(get_settings().sqlalchemy_url)
    with engine.connect() as connection:
        orders = connection.execute(select(func.count()).select_from(order_ledger)).scalar_one()
        topics = set(connection.execute(select(webhook_deliveries.c.topic)).scalars())
    assert (orders, topics) == (0, {"shop/redact"})
    assert not (tmp_path / "data" / "reports").exists()
    assert _artifacts(SHOPSYNC_KEYS) == []
