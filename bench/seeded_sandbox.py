"""Benchmark-sized sandboxes, and the independent oracle's verdict on the HubSpot side.

`sandbox.runner.running_sandbox` always seeds the demo-sized store; benchmarks need thousands of customers
(or a HubSpot portal seeded with deliberate drift), so this serves the same two apps over a given `SeedData`
and keeps a handle on the HubSpot app's rate limiter, whose counters are the benchmarks' request counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.expected import ExpectedCustomer
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.wire import SandboxContext
from sandbox.runner import SandboxEndpoints, serve_sandbox
from sandbox.seed import SeedData, generate_store
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.rules.config import PropertiesConfig

Properties = Mapping[str, str | None]
_READ_ATTEMPTS = 20


@dataclass
class BenchSandbox:
    """A running sandbox plus the HubSpot app's context (store, limiter)."""

    endpoints: SandboxEndpoints
    hubspot: SandboxContext

    def counters(self) -> dict[str, Any]:
        """The HubSpot rate limiter's counters: served, per endpoint, 429s, busiest 10 s window."""
        return self.hubspot.limiter.counters()

    def contacts_by_customer(self, id_property: str) -> dict[int, dict[str, str | None]]:
        """Live contacts' properties keyed by Shopify customer id, read while the server may be writing.

        The store is read from this thread while uvicorn's thread writes to it; a read that races a write
        ("dictionary changed size during iteration") is simply repeated.
        """
        for _ in range(_READ_ATTEMPTS):
            try:
                return {
                    int(value): dict(contact.properties)
                    for contact in self.hubspot.store.contacts()
                    if (value := contact.properties.get(id_property))
                }
            except RuntimeError:
                continue
        raise RuntimeError("the HubSpot store kept changing while it was read")


def sharded_store(seed: int, shards: int, customers: int, orders: int) -> SeedData:
    """One store made of `shards` independently seeded stores of `customers` x `orders` each.

    `generate_store` picks each order's customer with a weighted draw over every customer, so its time grows
    with customers x orders; shards keep a 40,000-order store to seconds. Ids are random int64s, so shards
    never collide; each shard brings its own edge cases and its own order numbers (#1001...). The HubSpot
    starting point is left empty (shards' seeded contacts could share emails): callers bring their own.
    """
    parts = [
        generate_store(seed=seed * 1000 + shard, customers=customers, orders=orders)
        for shard in range(shards)
    ]
    products = {product["id"]: product for part in parts for product in part.products}
    return SeedData(
        shop=parts[0].shop,
        products=list(products.values()),
        customers=[customer for part in parts for customer in part.customers],
        orders=[order for part in parts for order in part.orders],
        hubspot_contacts=[],
    )


@contextmanager
def serving_sandbox(
    data: SeedData,
    hubspot_config: HubSpotSandboxConfig | None = None,
    shopify_config: ShopifySandboxConfig | None = None,
) -> Iterator[BenchSandbox]:
    """Serve the Shopify and HubSpot sandbox apps over `data` on loopback for the length of the block."""
    with serve_sandbox(data, shopify_config=shopify_config, hubspot_config=hubspot_config) as endpoints:
        yield BenchSandbox(endpoints, endpoints.hubspot_context)


def mismatches(
    expected: Mapping[int, ExpectedCustomer],
    contacts: Mapping[int, Properties],
    properties: PropertiesConfig | None = None,
) -> list[int]:
    """Customers whose contact does not carry the oracle's values (typed comparison).

    A customer none of whose orders qualifies may have no contact at all: shopsync creates none for it.
    """
    names = properties or PropertiesConfig()
    wrong = []
    for customer_id, want in expected.items():
        contact = contacts.get(customer_id)
        if contact is None:
            if want.order_count:
                wrong.append(customer_id)
            continue
        if _typed(contact, names) != _wanted(want):
            wrong.append(customer_id)
    return wrong


def _wanted(want: ExpectedCustomer) -> tuple[object, ...]:
    first = want.first_order_date.isoformat() if want.first_order_date else None
    last = want.last_order_date.isoformat() if want.last_order_date else None
    return want.total_spent, want.order_count, first, last, want.last_order_number


def _typed(contact: Properties, names: PropertiesConfig) -> tuple[object, ...]:
    """The contact's purchase properties as comparable values; an unparsable one compares unequal."""
    total, count = contact.get(names.total_spent), contact.get(names.order_count)
    return (
        Decimal(total) if total else None,
        int(count) if count else None,
        contact.get(names.first_order_date) or None,
        contact.get(names.last_order_date) or None,
        contact.get(names.last_order_number) or None,
    )
