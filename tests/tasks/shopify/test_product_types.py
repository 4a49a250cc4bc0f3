"""ProductTypeCache: repeated webhook orders don't refetch product types until the TTL runs out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tasks.shopify.models import OrderRecord
from tasks.shopify.product_types import ProductTypeCache
from tests.tasks.shopify.fakes import PRODUCT_ID, FakeClock, webhook_payload

CATALOG = {PRODUCT_ID: "Shirts", 7: "", 8: "Mugs"}


class CountingCatalog:
    """Answers product-type lookups from CATALOG and remembers which ids each call asked for."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, product_ids: Sequence[int]) -> Mapping[int, str]:
        self.calls.append(list(product_ids))
        return {pid: CATALOG[pid] for pid in product_ids if pid in CATALOG}


def test_second_lookup_within_ttl_is_served_from_cache() -> None:
    """The second lookup of the same products makes no call; a new product fetches only itself."""
    catalog, clock = CountingCatalog(), FakeClock()
    cache = ProductTypeCache(catalog, ttl_seconds=60, clock=clock)

    assert cache.lookup([PRODUCT_ID, 7]) == {PRODUCT_ID: "Shirts", 7: ""}
    assert cache.lookup([7, PRODUCT_ID]) == {PRODUCT_ID: "Shirts", 7: ""}
    assert cache.lookup([PRODUCT_ID, 8]) == {PRODUCT_ID: "Shirts", 8: "Mugs"}

    assert catalog.calls == [[PRODUCT_ID, 7], [8]]


def test_entries_expire_after_the_ttl() -> None:
    """After ttl_seconds the product is fetched again."""
    catalog, clock = CountingCatalog(), FakeClock()
    cache = ProductTypeCache(catalog, ttl_seconds=60, clock=clock)
    cache.lookup([8])
    clock.now += 59
    cache.lookup([8])
    clock.now += 1
    cache.lookup([8])
    assert catalog.calls == [[8], [8]]


def test_deleted_products_are_remembered_as_unknown() -> None:
    """A product Shopify no longer returns is absent from the answer and not re-asked within the TTL."""
    catalog = CountingCatalog()
    cache = ProductTypeCache(catalog, clock=FakeClock())
    assert cache.lookup([404]) == {}
    assert cache.lookup([404]) == {}
    assert catalog.calls == [[404]]


def test_invalidate_forces_a_refetch() -> None:
    """Invalidating a product (products/update) makes the next lookup fetch it."""
    catalog = CountingCatalog()
    cache = ProductTypeCache(catalog, clock=FakeClock())
    cache.lookup([8])
    cache.invalidate(8)
    cache.lookup([8])
    assert catalog.calls == [[8], [8]]


def test_resolve_fills_a_webhook_records_product_types() -> None:
    """A webhook record (types None) comes back with types aligned to its product ids."""
    record = OrderRecord.from_webhook(webhook_payload())
    resolved = ProductTypeCache(CountingCatalog(), clock=FakeClock()).resolve(record)
    assert resolved.product_ids == (7, PRODUCT_ID)
    assert resolved.product_types == ("", "Shirts")
