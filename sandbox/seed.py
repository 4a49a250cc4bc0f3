"""A deterministic demo store: Shopify products, customers and REST orders plus the HubSpot starting point.

`generate_store()` is the one entry point (contract: notes/contracts.md, "Seed data"). The same seed gives the
same store byte for byte; nothing reads the wall clock. Every edge case shopsync must get right is planned
explicitly (see `sandbox.seed_scenarios`), and the rest of the orders are random everyday ones.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.seed_catalog import build_customers, build_products
from sandbox.seed_contacts import build_contacts
from sandbox.seed_drift import build_synced_contacts
from sandbox.seed_models import (
    DEMO_SHOP,
    SEED_DEFAULTS,
    IdAllocator,
    SeedContact,
    SeedData,
    SeedDefaults,
    ShopInfo,
)
from sandbox.seed_orders import OrderContext, build_order
from sandbox.seed_scenarios import plan_orders

__all__ = [
    "SEED_DEFAULTS",
    "SeedContact",
    "SeedData",
    "SeedDefaults",
    "ShopInfo",
    "customer_by_id",
    "generate_store",
    "order_by_id",
]

_FIRST_ORDER_NUMBER = 1001


def generate_store(
    seed: int = SEED_DEFAULTS.seed,
    customers: int = SEED_DEFAULTS.customers,
    orders: int = SEED_DEFAULTS.orders,
    now: datetime | None = None,
    *,
    synced: bool = False,
) -> SeedData:
    """Generate the sandbox store.

    Args:
        seed: seeds the one `random.Random` everything is drawn from.
        customers: number of Shopify customers (at least 1; all edge cases need about 17).
        orders: number of orders; the edge-case orders come first, so fewer than 16 drops some of them.
        now: the store's present (timezone-aware); every timestamp lies before it. Defaults to
            `SEED_DEFAULTS.now` (2026-11-27T12:00:00Z).
        synced: also seed the contacts an earlier shopsync sync wrote, with drift to reconcile (see
            `sandbox.seed_drift`); they come after the pre-existing ones and draw nothing from the RNG.

    Returns:
        The store; orders are sorted by processed_at and named #1001, #1002, ... in that order.

    Raises:
        ValueError: on a naive `now`, fewer than one customer or a negative order count.
    """
    present = now or SEED_DEFAULTS.now
    if present.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime(2026, 11, 27, 12, tzinfo=UTC)")
    if customers < 1 or orders < 0:
        raise ValueError(f"need customers >= 1 and orders >= 0, got customers={customers}, orders={orders}")
    rng = random.Random(seed)
    zone = ZoneInfo(DEMO_SHOP.iana_timezone)
    ids = IdAllocator(rng)
    products = build_products(rng, ids, present.astimezone(zone))
    people = build_customers(customers, rng, ids, present)
    specs = plan_orders(people, orders, rng, present, zone)
    context = OrderContext(shop=DEMO_SHOP, products=products, ids=ids, rng=rng, now=present)
    built = [build_order(spec, _FIRST_ORDER_NUMBER + index, context) for index, spec in enumerate(specs)]
    order_notes = [
        spec.note.format(name=order["name"]) for spec, order in zip(specs, built, strict=True) if spec.note
    ]
    guest_emails = [order["email"] for order in built if order["customer"] is None and order["email"]]
    contacts, contact_notes = build_contacts(people, guest_emails, rng)
    if synced:
        synced_contacts, synced_notes = build_synced_contacts(people, built, contacts, present)
        contacts, contact_notes = contacts + synced_contacts, contact_notes + synced_notes
    return SeedData(
        shop=DEMO_SHOP,
        products=products,
        customers=people,
        orders=built,
        hubspot_contacts=contacts,
        drift=order_notes + contact_notes,
    )


def order_by_id(seed: SeedData, order_id: int) -> dict[str, Any]:
    """The seeded order with this REST id.

    Raises:
        KeyError: if the store has no such order.
    """
    return _by_id(seed.orders, order_id, "order")


def customer_by_id(seed: SeedData, customer_id: int) -> dict[str, Any]:
    """The seeded customer with this REST id.

    Raises:
        KeyError: if the store has no such customer.
    """
    return _by_id(seed.customers, customer_id, "customer")


def _by_id(records: list[dict[str, Any]], wanted: int, kind: str) -> dict[str, Any]:
    for record in records:
        if record["id"] == wanted:
            return record
    raise KeyError(f"no {kind} with id {wanted} in the seed")
