"""Products and customers of the generated store, in the REST shapes Shopify uses."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.seed_models import IdAllocator, shop_timestamp
from sandbox.shopify.ids import gid

# (title, product_type, vendor, tags, unit price). "" product types are common in real shops.
_CATALOG: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("Merino Wool Beanie", "Accessories", "Northwind Knits", ("winter", "wool"), "29.00"),
    ("Trail Running Shoes", "Footwear", "Summit Gear", ("running",), "129.95"),
    ("Insulated Water Bottle", "Drinkware", "Summit Gear", (), "34.50"),
    ("Rain Shell Jacket", "Outerwear", "Northwind Knits", ("waterproof", "sale"), "189.00"),
    ("Sticker Pack", "", "Shopsync Demo", (), "6.00"),
    ("Canvas Tote", "", "Shopsync Demo", ("gift",), "18.75"),
    ("Headlamp 300", "Camping", "Lumen Works", ("camping",), "42.99"),
    ("Down Sleeping Bag", "Camping", "Lumen Works", ("camping", "premium"), "319.00"),
    ("Hiking Socks (3 pack)", "Footwear", "Northwind Knits", (), "24.00"),
    ("Trail Map Bundle", "Books", "", (), "15.50"),
)

# Line items may point at products that were deleted since; Shopify then sends product_id null.
DELETED_PRODUCTS: tuple[tuple[str, str], ...] = (
    ("Limited Edition Mug (discontinued)", "21.00"),
    ("Custom Engraving", "12.00"),
)

_FIRST_NAMES = (
    "Alice",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farah",
    "Günter",
    "Hana",
    "Ivan",
    "Jonas",
    "Zoë",
)
_LAST_NAMES = (
    "Smith",
    "Müller",
    "García",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "O'Brien",
    "Rossi",
    "Tanaka",
    "Dubois",
)
_CUSTOMER_TAGS = ("vip", "wholesale", "newsletter", "Loyalty Gold", "b2b")


def build_products(rng: random.Random, ids: IdAllocator, now: datetime) -> list[dict[str, Any]]:
    """The store's live catalogue, each with one variant carrying its price."""
    products = []
    for title, product_type, vendor, tags, price in _CATALOG:
        product_id = ids.next()
        created = now - timedelta(days=rng.randint(500, 900))
        products.append(
            {
                "id": product_id,
                "admin_graphql_api_id": gid("Product", product_id),
                "title": title,
                "product_type": product_type,
                "vendor": vendor,
                "tags": list(tags),
                "status": "active",
                "created_at": shop_timestamp(created),
                "updated_at": shop_timestamp(created + timedelta(days=rng.randint(0, 300))),
                "variants": [{"id": ids.next(), "price": price, "sku": _sku(title)}],
            }
        )
    return products


def build_customers(count: int, rng: random.Random, ids: IdAllocator, now: datetime) -> list[dict[str, Any]]:
    """`count` REST customers; emails in mixed case, some with stray whitespace, as merchants type them."""
    shop_zone = ZoneInfo("America/New_York")
    customers = []
    for index in range(count):
        first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(index * 7 + 3) % len(_LAST_NAMES)]
        customer_id = ids.next()
        created = (now - timedelta(days=rng.randint(420, 800), minutes=rng.randint(0, 1439))).astimezone(
            shop_zone
        )
        customers.append(
            {
                "id": customer_id,
                "email": _styled_email(index, first, last),
                "first_name": first,
                "last_name": last,
                "phone": f"+1212555{index:04d}" if index % 3 == 0 else None,
                "tags": ", ".join(rng.sample(_CUSTOMER_TAGS, k=rng.choice((0, 0, 1, 2)))),
                "state": rng.choice(("enabled", "enabled", "disabled", "invited")),
                "currency": "USD",
                "created_at": shop_timestamp(created),
                "updated_at": shop_timestamp(created + timedelta(days=rng.randint(1, 400))),
                "verified_email": index % 4 != 1,
                "admin_graphql_api_id": gid("Customer", customer_id),
                "note": None,
                "tax_exempt": False,
                "tax_exemptions": [],
                "multipass_identifier": None,
            }
        )
    return customers


def _styled_email(index: int, first: str, last: str) -> str:
    """Every third email is Title-Case, every fourth is wrapped in whitespace; the rest are lowercase."""
    local = f"{_ascii(first)}.{_ascii(last)}{index}"
    email = f"{local.title()}@Example.com" if index % 3 == 1 else f"{local.lower()}@example.com"
    return f"  {email} " if index % 4 == 2 else email


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if char.isascii() and char.isalnum()).lower()


def _sku(title: str) -> str:
    return "-".join(word[:4].upper() for word in _ascii_words(title))


def _ascii_words(title: str) -> list[str]:
    return [_ascii(word) for word in title.split() if _ascii(word)]
