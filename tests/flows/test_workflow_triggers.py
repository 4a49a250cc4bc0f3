"""The workflow trigger (issue 15): once per new paid order, never on corrections, and who wrote each change.

Read the way a HubSpot workflow sees it: each contact's property history over the API
(`propertiesWithHistory`), counted as enrolments of a workflow on "Shopify last order paid at is known" with
re-enrolment (`sandbox.hubspot.workflows`).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from sandbox.hubspot.values import iso_millis
from sandbox.shopify.webhook_payloads import build_delivery
from tests.drills.oracle import mismatches
from tests.flows.world import World, build_world, contact_matches

pytestmark = pytest.mark.usefixtures("prefect_harness")
REALTIME, MISSED = 4, 2


def _world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced: bool) -> Iterator[World]:
    # The scenario adds missed orders to the seeded drift: more than the default 20 % cap.
    (tmp_path / "shopsync.toml").write_text("[reconcile]\nmax_drift_share = 1.0\n")
    with build_world(tmp_path, monkeypatch, synced=synced) as built:
        yield built


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, synced=True)


@pytest.fixture
def empty_portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, synced=False)


def test_the_trigger_changes_once_per_new_paid_order_and_never_on_corrections(world: World) -> None:
    """A burst with duplicates, reordered and stale snapshots, refunds, cancellations and a test order, then
    a nightly that corrects the seeded drift: each contact's trigger changed once per new paid order
    delivered in real time (labelled realtime), once per contact where the nightly found an order it did
    not reflect (labelled reconcile), and never otherwise."""
    clean = _clean_customers(world)
    realtime, missed = clean[:REALTIME], clean[REALTIME : REALTIME + MISSED]
    store, now = world.sandbox.shopify_store, datetime.now(UTC)
    want: dict[str, list[tuple[str, str]]] = {}

    # Round 1: a new order each, one delivered twice and once more under another webhook id; an older
    # order edited (refunded) with its stale snapshot arriving after; a test order.
    firsts = {c: store.place_order(c, now + timedelta(minutes=1)) for c in realtime}
    for customer, order in firsts.items():
        assert world.deliver("orders/paid", order["id"], f"paid-{order['id']}") == 200
        want[str(customer)] = [(_instant(order), "realtime")]
    world.deliver("orders/paid", firsts[realtime[0]]["id"], f"paid-{firsts[realtime[0]]['id']}")
    world.deliver("orders/paid", firsts[realtime[0]]["id"])
    older = _paid_order(world, realtime[1], before=firsts[realtime[1]])
    assert older is not None
    stale = copy.deepcopy(older)
    store.refund_order(older["id"], Decimal("2.00"), now + timedelta(minutes=2))
    world.deliver("orders/updated", older["id"])
    world.sender.deliver("orders/paid", build_delivery("orders/paid", stale))
    world.deliver("orders/paid", _test_order(world)["id"])
    sync_shopify_orders()

    # Round 2: the first new order of one customer fully refunded, of another cancelled; a third customer's
    # second order arrives refund first, paid (stale) last.
    refunded = firsts[realtime[0]]
    store.refund_order(refunded["id"], Decimal(refunded["total_price"]), now + timedelta(minutes=3))
    world.deliver("refunds/create", firsts[realtime[0]]["id"])
    store.cancel_order(firsts[realtime[1]]["id"], now + timedelta(minutes=3))
    world.deliver("orders/cancelled", firsts[realtime[1]]["id"])
    second = store.place_order(realtime[2], now + timedelta(minutes=4))
    paid_snapshot = copy.deepcopy(second)
    store.refund_order(second["id"], Decimal("1.00"), now + timedelta(minutes=5))
    world.deliver("refunds/create", second["id"])
    world.sender.deliver("orders/paid", build_delivery("orders/paid", paid_snapshot))
    want[str(realtime[2])].append((_instant(second), "realtime"))
    sync_shopify_orders()

    # Round 3: one more new order, and a late duplicate of round 1.
    third = store.place_order(realtime[3], now + timedelta(minutes=6))
    world.deliver("orders/paid", third["id"])
    world.deliver("orders/paid", firsts[realtime[0]]["id"], f"paid-{firsts[realtime[0]]['id']}")
    want[str(realtime[3])].append((_instant(third), "realtime"))
    sync_shopify_orders()

    # Paid orders whose webhooks never arrive; the nightly also meets the seeded drift.
    for customer in missed:
        lost = store.place_order(customer, now + timedelta(minutes=7))
        want[str(customer)] = [(_instant(lost), "reconcile")]
    for customer_id, expected in world.expected().items():
        if expected.order_count and world.contact_of(customer_id) is None and expected.last_order_at:
            want[str(customer_id)] = [(iso_millis(expected.last_order_at), "reconcile")]  # created or adopted
    summary = reconcile_shopify_hubspot(mode="full", backfill=False)

    assert mismatches(world.sandbox) == [], "the nightly corrected every seeded drift"
    got = {key: [(e.value, e.source or "") for e in found] for key, found in world.enrolments().items()}
    fired = {key: changes for key, changes in got.items() if changes}
    assert fired == want
    sources = Counter(source for changes in fired.values() for _, source in changes)
    new_orders = REALTIME + 2  # four first orders, then one more for two customers
    assert sources == {"realtime": new_orders, "reconcile": len(want) - REALTIME}
    print(
        f"\nworkflow triggers: {sum(sources.values())} over {len(fired)} contacts "
        f"({sources['realtime']} realtime = {new_orders} new paid orders delivered; {sources['reconcile']} "
        f"reconcile = contacts with an order the nightly found); {summary.corrections} corrections by the "
        f"nightly; 0 triggers on the {len(got) - len(fired)} other contacts"
    )


def test_a_backfill_on_an_empty_portal_is_labelled_backfill_everywhere(empty_portal: World) -> None:
    """The first reconciliation of a new installation writes `backfill` with every change, so a workflow
    that leaves backfill out enrols nobody, however many triggers it set."""
    world = empty_portal
    reconcile_shopify_hubspot(mode="full")

    labelled = Counter(
        contact.properties.get("shopify_last_write_source")
        for contact in world.sandbox.hubspot_store.contacts()
        if contact.properties.get("shopify_customer_id")
    )
    triggers = Counter(e.source for found in world.enrolments().values() for e in found)
    buyers = sum(1 for expected in world.expected().values() if expected.order_count)
    assert labelled == {"backfill": buyers}
    assert triggers == {"backfill": buyers}
    print(f"\nbackfill: {buyers} contacts written, every one labelled backfill ({triggers})")


def _clean_customers(world: World) -> list[int]:
    """Customers whose synced contact is right (no seeded drift) and who have a paid order, by id."""
    clean = []
    for customer_id, expected in sorted(world.expected().items()):
        contact = world.contact_of(customer_id)
        if contact and contact_matches(contact, expected) and _paid_order(world, customer_id) is not None:
            clean.append(customer_id)
    assert len(clean) >= REALTIME + MISSED
    return clean


def _paid_order(
    world: World, customer_id: int, before: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The customer's first paid, uncancelled order with more than 2.00 left (other than `before`)."""
    for order in world.sandbox.shopify_store.customer_orders(customer_id):
        if (
            order is not before
            and order["financial_status"] == "paid"
            and not order["test"]
            and order["cancelled_at"] is None
            and Decimal(order["current_total_price"]) > Decimal("2.00")
        ):
            return order
    return None


def _test_order(world: World) -> dict[str, Any]:
    return next(o for o in world.sandbox.shopify_store.orders() if o["test"] and o["customer"])


def _instant(order: dict[str, Any]) -> str:
    return iso_millis(datetime.fromisoformat(order["processed_at"]))
