"""Drill 7 — what the nightly run repairs: lost webhooks, a refund nobody announced, a hand-edited contact.

Load: the seeded store's 110 attributed orders, of which every third orders/paid webhook is "lost" (never
sent); a refund made in Shopify whose webhooks are lost too; a total edited by hand in HubSpot after the sync.
The real-time sync handles what arrived; then one reconciliation run (`reconcile-shopify-hubspot`, first run,
so it reads everything). Expected: after the sync, the customers of lost webhooks are wrong (the premise);
after the reconciliation, every contact equals the oracle over all of Shopify's orders, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from tests.drills.oracle import mismatches
from tests.flows.world import World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")

LOST_EVERY = 3


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # The drill loses a third of the webhooks on purpose, more than the default 20 % drift cap allows.
    (tmp_path / "shopsync.toml").write_text("[reconcile]\nmax_drift_share = 1.0\n")
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def test_the_nightly_run_repairs_what_the_real_time_path_never_saw(world: World) -> None:
    """Lost webhooks, an unannounced refund and a hand edit: after one reconciliation HubSpot = oracle."""
    orders = [order for order in world.sandbox.shopify_store.orders() if order["customer"]]
    delivered = [order for index, order in enumerate(orders) if index % LOST_EVERY != LOST_EVERY - 1]
    for order in delivered:
        assert world.deliver("orders/paid", order["id"]) == 200
    sync_shopify_orders()
    assert mismatches(world.sandbox, delivered) == []

    refunded = next(o for o in delivered if o["financial_status"] == "paid" and not o["test"])
    at = datetime.now(UTC) + timedelta(minutes=5)
    world.sandbox.shopify_store.refund_order(refunded["id"], Decimal("10.00"), at)
    _edit_in_hubspot_ui(world, delivered[0]["customer"]["id"], {"shopify_total_spent": "1.00"})
    assert mismatches(world.sandbox), "the premise: HubSpot is wrong before the nightly run"

    summary = reconcile_shopify_hubspot()

    assert summary is not None
    assert mismatches(world.sandbox) == []


def _edit_in_hubspot_ui(world: World, customer_id: int, properties: dict[str, str]) -> None:
    contact = next(
        c
        for c in world.sandbox.hubspot_store.contacts()
        if c.properties.get("shopify_customer_id") == str(customer_id)
    )
    url = f"{world.sandbox.hubspot_base_url}/_sandbox/contacts/{contact.id}"
    httpx.patch(url, json={"properties": properties}).raise_for_status()
