"""The real-time path end to end: signed webhooks → receiver → inbox → sync flow → HubSpot (sandbox)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from flows.sync_orders import sync_shopify_orders
from sandbox.expected import is_qualifying
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.ledger import Ledger
from tests.flows.world import World, build_world, contact_matches

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def _paid_orders(world: World) -> list[dict]:
    return [
        order for order in world.sandbox.seed.orders if order["customer"] is not None and is_qualifying(order)
    ]


def test_every_paid_order_delivered_three_times_counts_once(world: World) -> None:
    """Duplicated deliveries of every paid order leave each contact equal to the oracle, never doubled."""
    orders = _paid_orders(world)[:12]
    for order in orders:
        webhook_id = f"dup-{order['id']}"
        for _ in range(3):
            assert world.deliver("orders/paid", order["id"], webhook_id) == 200

    summary = sync_shopify_orders()

    assert summary["deliveries"] == len(orders)
    expected = world.expected()
    customers = {order["customer"]["id"] for order in orders}
    for customer_id in customers:
        contact = world.contact_of(customer_id)
        assert contact is not None, customer_id
        # The oracle counts every order of the customer; only delivered ones are known to shopsync.
        delivered = [o for o in orders if o["customer"]["id"] == customer_id]
        assert int(contact["shopify_order_count"] or 0) == len(delivered)
        assert Decimal(contact["shopify_total_spent"] or "0") == sum(
            Decimal(o["current_total_price_set"]["shop_money"]["amount"]) for o in delivered
        )
        assert world.contacts_with_id(customer_id) == 1
    assert expected  # the oracle saw these customers too


def test_all_orders_of_the_store_sync_to_the_oracle_values(world: World) -> None:
    """After every order of the seeded store is delivered (shuffled), every contact equals the oracle."""
    orders = [order for order in world.sandbox.seed.orders if order["customer"] is not None]
    for order in reversed(orders):
        assert world.deliver("orders/paid", order["id"]) == 200

    summary = sync_shopify_orders()

    assert summary.get("failed", 0) == 0, world.inbox.failed()
    for customer_id, expected in world.expected().items():
        contact = world.contact_of(customer_id)
        if expected.order_count == 0 and contact is None:
            continue  # never qualified: shopsync creates no contact for it
        assert contact is not None, customer_id
        assert contact_matches(contact, expected), (customer_id, contact, expected)


def test_a_refund_after_sync_lowers_the_total(world: World) -> None:
    """refunds/create re-reads the order, and the contact's total drops by the refund."""
    order = _paid_orders(world)[0]
    customer_id = order["customer"]["id"]
    world.deliver("orders/paid", order["id"])
    sync_shopify_orders()
    before = Decimal(world.contact_of(customer_id)["shopify_total_spent"] or "0")

    world.sandbox.shopify_store.refund_order(order["id"], Decimal("5.00"), datetime.now(UTC))
    world.deliver("refunds/create", order["id"])
    sync_shopify_orders()

    after = Decimal(world.contact_of(customer_id)["shopify_total_spent"] or "0")
    assert after == before - Decimal("5.00")


def test_an_update_delivered_before_the_older_paid_event_wins(world: World) -> None:
    """Out of order: the newer orders/updated (partly refunded) arrives first; the stale orders/paid loses."""
    orders = _paid_orders(world)
    customer_orders = {
        o["customer"]["id"]: [x for x in orders if x["customer"]["id"] == o["customer"]["id"]] for o in orders
    }
    order = next(o for o in orders if len(customer_orders[o["customer"]["id"]]) == 1)
    customer_id = order["customer"]["id"]
    stale_paid = dict(world.order(order["id"]))
    world.sandbox.shopify_store.refund_order(order["id"], Decimal("1.00"), datetime.now(UTC))
    current = world.order(order["id"])
    world.deliver("orders/updated", order["id"])
    world.sender.deliver("orders/paid", stale_paid)

    sync_shopify_orders()

    contact = world.contact_of(customer_id)
    assert contact is not None
    assert Decimal(contact["shopify_total_spent"] or "0") == Decimal(
        current["current_total_price_set"]["shop_money"]["amount"]
    )
    assert contact["shopify_order_count"] == "1"


def test_a_test_order_is_skipped_with_its_rule(world: World) -> None:
    """A test order is recorded as skipped with the rule's name, and no contact is written for it."""
    test_orders = [o for o in world.sandbox.seed.orders if o["test"] and o["customer"] is not None]
    assert test_orders, "the seed must contain a test order"
    order = test_orders[0]
    world.deliver("orders/paid", order["id"], "test-order-delivery")

    summary = sync_shopify_orders()

    delivery = world.inbox.get("test-order-delivery")
    assert delivery is not None
    assert delivery.status == "skipped"
    assert delivery.reason == "test_order"
    assert summary.get("synced", 0) == 0


def test_a_product_type_rule_looks_types_up_in_shopify_and_skips_the_order(
    world: World, tmp_path: Path
) -> None:
    """Webhook line items carry no product type: the flow asks Shopify, then the rule skips the order."""
    (tmp_path / "shopsync.toml").write_text('[rules]\nexclude_product_types = ["Books"]\n')
    types = {product["id"]: product["product_type"] for product in world.sandbox.seed.products}
    order = next(
        o
        for o in _paid_orders(world)
        if any(types.get(item["product_id"]) == "Books" for item in o["line_items"])
    )
    world.deliver("orders/paid", order["id"], "books-order")

    sync_shopify_orders()

    delivery = world.inbox.get("books-order")
    assert delivery is not None
    assert (delivery.status, delivery.reason) == ("skipped", "exclude_product_type:books")


def test_a_signed_order_with_a_negative_total_fails_alone_naming_the_field(world: World) -> None:
    """A correctly signed orders/paid whose total is negative ends failed with the field named, never reaches
    the ledger or HubSpot (before or after a replay), and the rest of its batch still syncs."""
    orders = _paid_orders(world)
    spoiled = copy.deepcopy(orders[0])
    spoiled["current_total_price_set"]["shop_money"]["amount"] = "-5.00"
    world.sandbox.shopify_store.upsert_order(spoiled)
    owner = spoiled["customer"]["id"]
    siblings = [o for o in orders[1:] if o["customer"]["id"] != owner][:3]
    contact_before = world.contact_of(owner)
    assert world.deliver("orders/paid", spoiled["id"], "negative-total") == 200
    for order in siblings:
        assert world.deliver("orders/paid", order["id"], f"sibling-{order['id']}") == 200

    summary = sync_shopify_orders()

    reason = (
        "invalid payload: current_total_price_set.shop_money.amount: "
        "must be a non-negative decimal, got '-5.00'"
    )
    delivery = world.inbox.get("negative-total")
    assert delivery is not None and (delivery.status, delivery.reason) == ("failed", reason)
    assert (summary["deliveries"], summary.get("failed"), summary.get("synced")) == (4, 1, 3)
    assert [getattr(world.inbox.get(f"sibling-{o['id']}"), "status", None) for o in siblings] == [
        "synced"
    ] * 3
    assert world.contact_of(owner) == contact_before
    assert Ledger(database(get_settings().sqlalchemy_url)).orders_for_customers([owner]) == []

    assert world.inbox.requeue(["negative-total"]) == 1  # what `shopsync replay` does
    sync_shopify_orders()

    replayed = world.inbox.get("negative-total")
    assert replayed is not None and (replayed.status, replayed.reason) == ("failed", reason)
    assert world.contact_of(owner) == contact_before
