"""A small TTL cache in front of `ShopifyClient.product_types`, so repeated webhook orders don't refetch.

Webhook line items carry no product type (api-facts.md A4); every `orders/paid` would otherwise cost a
`nodes(ids:)` round trip for products that rarely change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from tasks.shopify.models import OrderRecord

__all__ = ["ProductTypeCache"]

DEFAULT_TTL_SECONDS = 3600.0


class ProductTypeCache:
    """Product type by product id, fetched on a miss and kept for `ttl_seconds`.

    Products Shopify does not return (deleted ones) are remembered as unknown too, so they are not asked for
    on every order either.
    """

    def __init__(
        self,
        fetch: Callable[[Sequence[int]], Mapping[int, str]],
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the cache.

        Args:
            fetch: Looks product types up in bulk, e.g. `ShopifyClient.product_types`.
            ttl_seconds: How long an answer stays fresh.
            clock: Monotonic seconds; tests pass a fake.
        """
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[int, tuple[str | None, float]] = {}

    def lookup(self, product_ids: Iterable[int]) -> dict[int, str]:
        """Types of the given products; unknown products are absent. Fetches only what is missing or stale."""
        wanted = list(dict.fromkeys(product_ids))
        now = self._clock()
        missing = [pid for pid in wanted if pid not in self._entries or self._entries[pid][1] <= now]
        if missing:
            fetched = self._fetch(missing)
            expires_at = now + self._ttl
            for product_id in missing:
                self._entries[product_id] = (fetched.get(product_id), expires_at)
        types = {pid: self._entries[pid][0] for pid in wanted}
        return {pid: product_type for pid, product_type in types.items() if product_type is not None}

    def resolve(self, record: OrderRecord) -> OrderRecord:
        """The record with `product_types` filled from the cache (unknown products get "")."""
        return record.with_product_types(self.lookup(record.product_ids))

    def invalidate(self, product_id: int) -> None:
        """Forget one product, e.g. on a `products/update` webhook."""
        self._entries.pop(product_id, None)
