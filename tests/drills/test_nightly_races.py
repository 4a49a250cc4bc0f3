"""Drill — the nightly never writes an older value over a newer real-time one (issue 16), on both databases.

Load: the seeded store, synced and reconciled once, then six contacts edited by hand so the nightly plans
corrections for them. A second nightly starts (two customers per write batch) and is frozen with its first
HubSpot write in flight: it has read the ledger and HubSpot, planned, and sent the request, which the
sandbox holds unapplied. Meanwhile each of the six customers changes in Shopify (a refund, a cancellation
or a new paid order) and its webhook goes through the real-time path (receiver → inbox → sync run). Then
the held write is let go and both runs finish.

Expected: without a second nightly, every contact equals the oracle over Shopify's current orders. That
covers both windows: the two customers of the frozen batch (the real-time write must wait until the
nightly's write has landed, then write over it) and the four of later batches (the nightly must see that
they changed after its snapshot and recompute them instead of writing its plan).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from sandbox.expected import expected_customers
from tests.drills.oracle import mismatches
from tests.flows.world import World, contact_matches, world_on_backend
from tests.tasks.store.db_backends import BACKENDS

pytestmark = [pytest.mark.drill, pytest.mark.usefixtures("prefect_harness")]

EDITED = 6
BATCH = 2
HELD_WRITE = r"/contacts/batch/update$"
WAIT_SECONDS = 120.0
T = TypeVar("T")


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with world_on_backend(request.param, tmp_path, monkeypatch) as built:
        yield built


def test_real_time_edits_during_a_nightly_write_are_never_overwritten(world: World) -> None:
    """Edits delivered while the nightly is between its read and its write all end up in HubSpot."""
    reconcile_shopify_hubspot(mode="full")
    assert mismatches(world.sandbox) == [], "the premise: one nightly makes HubSpot equal the oracle"
    edited = _edit_by_hand(world, EDITED)
    _hold(world, requests=1)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="drill") as pool:
        nightly = pool.submit(reconcile_shopify_hubspot, mode="full", batch_size=BATCH)
        _wait_until(lambda: _holding(world) == 1 or nightly.done(), "the nightly's first write to be held")
        assert not nightly.done(), nightly.exception()
        _change_in_shopify_and_deliver(world, edited)
        realtime = pool.submit(sync_shopify_orders)
        # Old code: the sync run finishes at once. With leases it writes every customer but the frozen
        # batch's, then waits for those leases; letting go any earlier would prove less, never more.
        _wait_until(
            lambda: realtime.done() or _correct(world, edited) >= EDITED - BATCH, "the real-time writes"
        )
        _hold(world, requests=0)
        summary = nightly.result(timeout=WAIT_SECONDS)
        _result(realtime)

    wrong = mismatches(world.sandbox)
    assert wrong == [], f"{len(wrong)} contacts wrong after the nightly: {wrong}"
    assert summary.recomputed + summary.rechecked >= EDITED - BATCH
    print(f"\nedited {EDITED}: recomputed {summary.recomputed}, rechecked {summary.rechecked}, wrong 0")


def _edit_by_hand(world: World, count: int) -> list[int]:
    """Type a wrong total into `count` contacts (lowest customer ids with a paid order) in the HubSpot UI."""
    candidates = sorted(
        customer_id
        for customer_id, expected in world.expected().items()
        if expected.order_count > 0 and _paid_order(world, customer_id) is not None
    )[:count]
    for customer_id in candidates:
        contact = next(
            c
            for c in world.sandbox.hubspot_store.contacts()
            if c.properties.get("shopify_customer_id") == str(customer_id)
        )
        url = f"{world.sandbox.hubspot_base_url}/_sandbox/contacts/{contact.id}"
        httpx.patch(url, json={"properties": {"shopify_total_spent": "1.00"}}).raise_for_status()
    assert len(candidates) == count
    return candidates


def _change_in_shopify_and_deliver(world: World, customers: list[int]) -> None:
    """A refund, a cancellation or a new paid order for each customer, each announced by its webhook."""
    store = world.sandbox.shopify_store
    at = datetime.now(UTC) + timedelta(minutes=1)
    for index, customer_id in enumerate(customers):
        order = _paid_order(world, customer_id)
        assert order is not None
        if index % 3 == 0:
            store.refund_order(order["id"], Decimal("5.00"), at)
            assert world.deliver("refunds/create", order["id"]) == 200
        elif index % 3 == 1:
            store.cancel_order(order["id"], at)
            assert world.deliver("orders/cancelled", order["id"]) == 200
        else:
            placed = store.place_order(customer_id, at)
            assert world.deliver("orders/paid", placed["id"]) == 200


def _paid_order(world: World, customer_id: int) -> dict[str, Any] | None:
    """The customer's first qualifying order with more than 5.00 left to refund."""
    for order in world.sandbox.shopify_store.customer_orders(customer_id):
        if (
            order["financial_status"] == "paid"
            and not order["test"]
            and order["cancelled_at"] is None
            and Decimal(order["current_total_price"]) > Decimal("5.00")
        ):
            return order
    return None


def _correct(world: World, customers: list[int]) -> int:
    """How many of these customers' contacts already carry the oracle's values."""
    expected = expected_customers(world.sandbox.shopify_store.orders())
    return sum(
        1
        for customer_id in customers
        if (contact := world.contact_of(customer_id)) is not None
        and contact_matches(contact, expected[customer_id])
    )


def _hold(world: World, requests: int) -> None:
    """Hold the next `requests` HubSpot batch updates in flight (0: let the held ones land)."""
    plan = {"hold_paths": HELD_WRITE, "hold_requests": requests}
    httpx.put(f"{world.sandbox.hubspot_base_url}/_sandbox/faults", json=plan).raise_for_status()


def _holding(world: World) -> int:
    stats = httpx.get(f"{world.sandbox.hubspot_base_url}/_sandbox/faults").json()["stats"]
    return int(stats.get("holding", 0))


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _result(future: Future[T]) -> T:
    return future.result(timeout=WAIT_SECONDS)
