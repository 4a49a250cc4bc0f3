"""The shapes a generated sandbox store comes in (see notes/contracts.md, "Seed data")."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Above 2**53 so that any float or JavaScript-style parse of an id loses digits and a test notices.
ID_MIN = 2**59
ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class ShopInfo:
    """The shop the seed belongs to: its myshopify domain, money currency and IANA timezone."""

    domain: str
    currency: str
    iana_timezone: str
    name: str


@dataclass
class SeedContact:
    """A HubSpot contact that exists before shopsync runs.

    `properties` are HubSpot wire values (all strings). `merged_into` is an index into
    `SeedData.hubspot_contacts`: the sandbox should merge this contact into that one.
    """

    properties: dict[str, str]
    merged_into: int | None = None


@dataclass
class SeedData:
    """A generated store: Shopify products, customers and REST orders, plus the HubSpot starting point."""

    shop: ShopInfo
    products: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    hubspot_contacts: list[SeedContact]
    drift: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SeedDefaults:
    """The arguments `generate_store()` uses when called without any."""

    seed: int
    customers: int
    orders: int
    now: datetime


SEED_DEFAULTS = SeedDefaults(seed=7, customers=40, orders=120, now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

DEMO_SHOP = ShopInfo(
    domain="shopsync-demo.myshopify.com",
    currency="USD",
    iana_timezone="America/New_York",
    name="Shopsync Demo Outfitters",
)


class IdAllocator:
    """Hands out unique int64 ids above 2**53 from the seed's RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[int] = set()

    def next(self) -> int:
        """A fresh id, never handed out before by this allocator."""
        while True:
            candidate = self._rng.randint(ID_MIN, ID_MAX)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate


def shop_timestamp(moment: datetime) -> str:
    """ISO 8601 with the shop's offset and seconds precision, the way Shopify's REST payloads write times."""
    return moment.replace(microsecond=0).isoformat()
