"""Drill 1 — delivery faults: duplicates, shuffles, updates and refunds around orders/paid, late payloads.

Load: every order of the seeded store (120, 10 of them guest checkouts) as the webhook Shopify sent for it,
plus the refunds/create, orders/updated and orders/cancelled deliveries of 8 refunds and 4 cancellations made
during the drill: 144 deliveries, each sent three times with the same webhook id (432 POSTs) in a seeded
shuffle, synced by three flow runs that each see a third of the stream. Then the pre-refund orders/paid
payload of a refunded order arrives a day late under a new webhook id, and is synced by a fourth run.
Expected: every delivery stored once, every contact equal to the independent oracle over the store's final
orders (0 double counts, 0 lost), one contact per customer, and the late payload changes nothing.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from flows.sync_orders import sync_shopify_orders
from sandbox.expected import is_qualifying
from sandbox.shopify.sender import Delivery
from sandbox.shopify.webhook_payloads import build_delivery
from tests.flows.world import World, build_world, contact_matches

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHUFFLE_SEED = 20261124
DUPLICATES = 3
RUNS = 3
REFUNDED, CANCELLED = 8, 4


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def initial_deliveries(world: World) -> list[Delivery]:
    """What Shopify sent for each seeded order: orders/paid once it was paid, else orders/updated."""
    domain = world.sandbox.seed.shop.domain
    deliveries = []
    for index, order in enumerate(world.sandbox.shopify_store.orders()):
        topic = "orders/updated" if order["financial_status"] == "pending" else "orders/paid"
        payload = build_delivery(topic, order, shop_domain=domain)
        deliveries.append(Delivery(topic, payload, webhook_id=f"seeded-{index}"))
    return deliveries


def change_orders(world: World, moment: datetime) -> tuple[list[Delivery], dict[str, Any]]:
    """Refund and cancel paid orders in the store; returns the webhooks it emitted and a stale payload."""
    store = world.sandbox.shopify_store
    emitted: list[Delivery] = []

    def record(topic: str, payload: dict[str, Any]) -> None:
        emitted.append(Delivery(topic, payload, webhook_id=f"change-{len(emitted)}"))

    store.listeners.append(record)
    attributed = [order for order in store.orders() if order["customer"] and is_qualifying(order)]
    paid = [order for order in attributed if order["financial_status"] == "paid"]
    stale = copy.deepcopy(paid[0])
    # A minute apart: Shopify's updated_at has one-second resolution, and two edits must be told apart.
    for index, order in enumerate(paid[:REFUNDED]):
        store.refund_order(order["id"], Decimal("7.25") + index, moment + timedelta(minutes=index))
    for index, order in enumerate(paid[REFUNDED : REFUNDED + CANCELLED]):
        store.cancel_order(order["id"], moment + timedelta(minutes=REFUNDED + index))
    # Only our recorder: the sandbox's own webhook dispatcher keeps listening.
    store.listeners.remove(record)
    return emitted, stale


def order_of(delivery: Delivery) -> int:
    return int(delivery.payload["order_id" if delivery.topic == "refunds/create" else "id"])


def refunds_before_and_after_paid(queue: list[Delivery]) -> tuple[int, int]:
    """How many refunded orders had their first refunds/create arrive before / after their orders/paid."""
    first: dict[tuple[str, int], int] = {}
    for position, delivery in enumerate(queue):
        first.setdefault((delivery.topic, order_of(delivery)), position)
    refunded = [order for topic, order in first if topic == "refunds/create"]
    before = sum(1 for order in refunded if first[("refunds/create", order)] < first[("orders/paid", order)])
    return before, len(refunded) - before


def assert_hubspot_equals_oracle(world: World) -> None:
    """Every customer's contact carries the oracle's values, once."""
    for customer_id, expected in world.expected().items():
        contact = world.contact_of(customer_id)
        if expected.order_count == 0 and contact is None:
            continue  # never qualified: no contact is created for it
        assert contact is not None, customer_id
        assert contact_matches(contact, expected), (customer_id, contact, expected)
        assert world.contacts_with_id(customer_id) == 1, customer_id


def test_duplicated_shuffled_and_late_deliveries_count_every_order_once(world: World) -> None:
    """Three copies of each delivery, shuffled over three runs, then a day-late payload: HubSpot = oracle."""
    now = datetime.now(UTC)
    deliveries = initial_deliveries(world)
    changes, stale_paid = change_orders(world, now + timedelta(minutes=1))
    deliveries += changes
    queue = [delivery for delivery in deliveries for _ in range(DUPLICATES)]
    random.Random(SHUFFLE_SEED).shuffle(queue)
    before, after = refunds_before_and_after_paid(queue)
    assert before > 0 and after > 0, "the shuffle must put refunds both before and after orders/paid"

    slice_size = -(-len(queue) // RUNS)
    for start in range(0, len(queue), slice_size):
        for item in queue[start : start + slice_size]:
            result = world.sender.deliver(item.topic, item.payload, item.webhook_id)
            assert result.delivered, result
        assert sync_shopify_orders().get("failed", 0) == 0, world.inbox.failed()

    counts = world.inbox.counts()
    assert counts["synced"] + counts["skipped"] == len(deliveries)
    assert_hubspot_equals_oracle(world)

    late = world.sender.deliver(
        "orders/paid", stale_paid, "day-late-redelivery", triggered_at=now - timedelta(days=1)
    )
    assert late.delivered
    sync_shopify_orders()
    assert_hubspot_equals_oracle(world)
