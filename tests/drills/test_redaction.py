"""Drill — a customer who asked to be forgotten is forgotten everywhere, and stays forgotten (issue 12).

Load, on SQLite and on PostgreSQL: every order of the customer with the most orders, plus the orders of five
other customers, arrives as signed `orders/paid` webhooks and is synced; a full nightly writes its report
files and artifacts; a `customers/data_request` writes the customer's export; then `customers/redact`
arrives. Afterwards Shopify retries an old `orders/paid` (same webhook id), sends a late `orders/updated`
for each of their orders (new webhook ids), and a full reconciliation pulls every order from Shopify again,
where the customer's orders still are.

Searched afterwards, for the customer's email, name, phone, street address, order ids and order names: every
row of every shopsync table, every file under the test folder (the SQLite database and its WAL included, the
data folder's reports and exports), every Prefect artifact version, log line and flow run (name and
parameters) through the Prefect client, and the shopsync properties of their HubSpot contact. Expected: no
leak, the other customers' data untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.logging.handlers import APILogHandler

from flows.privacy import privacy_requests
from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from tasks.privacy.hubspot_contacts import clearable_properties
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.erasure import REDACTED_REASON
from tests.drills.forgotten import (
    Search,
    customer_needles,
    search_contact,
    search_database,
    search_files,
    search_prefect,
)
from tests.flows.world import World, world_on_backend
from tests.tasks.store.db_backends import BACKENDS

pytestmark = [pytest.mark.drill, pytest.mark.usefixtures("prefect_harness")]

OTHERS = 5


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with world_on_backend(request.param, tmp_path, monkeypatch) as built:
        yield built


def test_a_redacted_customer_leaves_no_trace_and_never_comes_back(world: World, tmp_path: Path) -> None:
    """After customers/redact, nothing of the customer is left anywhere shopsync writes, even after Shopify
    resends their orders and a full reconciliation reads them again."""
    store = world.sandbox.shopify_store
    by_customer = _orders_by_customer(world)
    customer_id = max(by_customer, key=lambda customer: len(by_customer[customer]))
    others = [c for c in sorted(by_customer, key=lambda c: -len(by_customer[c])) if c != customer_id][:OTHERS]
    needles = customer_needles(store, customer_id)
    # Webhook ids are opaque, as Shopify's are: one that spelled the order id would be a leak of the test's.
    paid_webhooks: dict[int, str] = {}
    for customer in [customer_id, *others]:
        for order_id in by_customer[customer]:
            paid_webhooks[order_id] = str(uuid.uuid4())
            assert world.deliver("orders/paid", order_id, paid_webhooks[order_id]) == 200
    deliveries = len(paid_webhooks)
    sync_shopify_orders()
    reconcile_shopify_hubspot(mode="full")
    assert world.request("customers/data_request", customer_id) == 200
    privacy_requests()
    (export,) = (tmp_path / "data" / "privacy" / "data-requests").glob(f"customer-{customer_id}-*.md")
    assert all(needle.lower() in export.read_text().lower() for needle in needles if "@" in needle)
    contact_id = _contact_id(world, customer_id)

    assert world.request("customers/redact", customer_id) == 200
    privacy_requests()
    first_order = by_customer[customer_id][0]
    assert world.deliver("orders/paid", first_order, paid_webhooks[first_order]) == 200  # Shopify's retry
    late_webhooks = [str(uuid.uuid4()) for _ in by_customer[customer_id]]
    for order_id, webhook_id in zip(by_customer[customer_id], late_webhooks, strict=True):
        assert world.deliver("orders/updated", order_id, webhook_id) == 200
    deliveries += 3 + len(late_webhooks)
    sync_shopify_orders()
    reconcile_shopify_hubspot(mode="full")

    APILogHandler().flush()  # every log line of the runs above is in Prefect before it is searched
    search = Search(needles)
    engine = database(get_settings().sqlalchemy_url)
    if engine.dialect.name == "sqlite":
        engine.dispose()  # closed connections let the last checkpoint empty the WAL before the bytes are read
    search_database(search, engine)
    search_files(search, tmp_path)
    with get_client(sync_client=True) as client:
        search_prefect(search, client)
    contact = world.sandbox.hubspot_store.get(contact_id)
    assert contact is not None, "the default policy keeps the contact: HubSpot's users own it"
    search_contact(search, dict(contact.properties), clearable_properties(ShopsyncConfig()))
    assert all(not contact.properties.get(name) for name in clearable_properties(ShopsyncConfig()))

    late = [world.inbox.get(webhook_id) for webhook_id in late_webhooks]
    assert {(d.status, d.reason, d.payload) for d in late if d} == {("skipped", REDACTED_REASON, None)}
    assert all(world.contact_of(other) for other in others), "the other customers are untouched"
    print(
        f"\n{engine.dialect.name}: {deliveries} deliveries, {len(needles)} needles searched in "
        f"{search.places} places, leaks found = {len(search.leaks)}"
    )
    assert search.leaks == {}, "\n".join(f"{place}: {found}" for place, found in search.leaks.items())


def _orders_by_customer(world: World) -> dict[int, list[int]]:
    """Paid orders per customer, ids ascending."""
    orders: dict[int, list[int]] = {}
    for order in world.sandbox.shopify_store.orders():
        customer = order.get("customer")
        if customer and order.get("financial_status") == "paid" and not order.get("test"):
            orders.setdefault(customer["id"], []).append(order["id"])
    return {customer: sorted(ids) for customer, ids in orders.items()}


def _contact_id(world: World, customer_id: int) -> str:
    for contact in world.sandbox.hubspot_store.contacts():
        if contact.properties.get("shopify_customer_id") == str(customer_id):
            return contact.id
    raise AssertionError("the customer's contact was synced before the redaction")
