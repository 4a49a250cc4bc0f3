"""GraphQL `Customer`, `Product`, `Shop` and `WebhookSubscription` fields."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sandbox.shopify.ids import gid, parse_gid
from sandbox.shopify.resolvers_connection import (
    Info,
    Record,
    Searchable,
    SortKeyFn,
    by_id,
    by_timestamp,
    context_of,
    search_connection,
)
from sandbox.shopify.resolvers_orders import Resolver, order_connection, split_tags
from sandbox.shopify.search_query import FilterField, Kind

CUSTOMER_FILTERS: dict[str, FilterField] = {
    "email": FilterField(Kind.TEXT, lambda c: c.get("email")),
    "id": FilterField(Kind.INT, lambda c: c["id"]),
    "created_at": FilterField(Kind.DATETIME, lambda c: c.get("created_at")),
    "updated_at": FilterField(Kind.DATETIME, lambda c: c.get("updated_at")),
    "tag": FilterField(Kind.TAGS, lambda c: split_tags(c.get("tags"))),
    "state": FilterField(Kind.TEXT, lambda c: c.get("state")),
}

CUSTOMER_SORT_KEYS: dict[str, SortKeyFn] = {
    "ID": by_id,
    "CREATED_AT": by_timestamp("created_at"),
    "UPDATED_AT": by_timestamp("updated_at"),
    "NAME": lambda c: (_display_name(c).lower(), int(c["id"])),
}


CUSTOMER_SEARCH = Searchable("customers", CUSTOMER_FILTERS, CUSTOMER_SORT_KEYS, "ID")


def customer_connection(customers: list[Record], info: Info, **args: Any) -> Record:
    """Filter, sort and page customers like the root `customers` connection."""
    return search_connection(customers, CUSTOMER_SEARCH, info, args)


def _display_name(customer: Record) -> str:
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    return name or customer.get("email") or customer.get("phone") or ""


def _counted_orders(customer: Record, info: Info) -> list[Record]:
    """Orders that count toward the customer's statistics.

    Shopify does not document whether test or cancelled orders count (api-facts A7,
    unverified); the sandbox counts every non-test order and nets refunds.
    """
    orders = context_of(info).store.customer_orders(int(customer["id"]))
    return [o for o in orders if not o.get("test")]


def _amount_spent(customer: Record, info: Info) -> Record:
    orders = _counted_orders(customer, info)
    total = sum((Decimal(o["current_total_price"]) for o in orders), Decimal("0"))
    currency = customer.get("currency") or context_of(info).store.shop.currency
    return {"amount": total, "currencyCode": currency}


def _last_order(customer: Record, info: Info) -> Record | None:
    orders = context_of(info).store.customer_orders(int(customer["id"]))
    return max(orders, key=lambda o: (o.get("created_at") or "", o["id"]), default=None)


def _default_email(customer: Record, _info: Info) -> Record | None:
    email = customer.get("email")
    if not email:
        return None
    return {
        "emailAddress": email,
        "marketingState": "NOT_SUBSCRIBED",
        "validFormat": "@" in email,
    }


def _customer_orders(customer: Record, info: Info, **args: Any) -> Record:
    orders = context_of(info).store.customer_orders(int(customer["id"]))
    return order_connection(orders, info, **{"sortKey": "ID", **args})


CUSTOMER_RESOLVERS: dict[str, Resolver] = {
    "id": lambda c, _i: gid("Customer", c["id"]),
    "legacyResourceId": lambda c, _i: c["id"],
    "defaultEmailAddress": _default_email,
    "displayName": lambda c, _i: _display_name(c),
    "tags": lambda c, _i: split_tags(c.get("tags")),
    "state": lambda c, _i: (c.get("state") or "disabled").upper(),
    "verifiedEmail": lambda c, _i: bool(c.get("verified_email")),
    "taxExempt": lambda c, _i: bool(c.get("tax_exempt")),
    "amountSpent": _amount_spent,
    "numberOfOrders": lambda c, i: len(_counted_orders(c, i)),
    "lastOrder": _last_order,
    "orders": _customer_orders,
}

PRODUCT_RESOLVERS: dict[str, Resolver] = {
    "id": lambda p, _i: gid("Product", p["id"]),
    "legacyResourceId": lambda p, _i: p["id"],
    "productType": lambda p, _i: p.get("product_type") or "",
    "tags": lambda p, _i: split_tags(p.get("tags")),
    "vendor": lambda p, _i: p.get("vendor") or "",
    "handle": lambda p, _i: p.get("handle") or re.sub(r"[^a-z0-9]+", "-", p["title"].lower()),
    "status": lambda p, _i: (p.get("status") or "active").upper(),
}

SHOP_RESOLVERS: dict[str, Resolver] = {
    "id": lambda _s, _i: gid("Shop", 1),
    "name": lambda _s, i: context_of(i).store.shop.name,
    "myshopifyDomain": lambda _s, i: context_of(i).store.shop.domain,
    "currencyCode": lambda _s, i: context_of(i).store.shop.currency,
    "ianaTimezone": lambda _s, i: context_of(i).store.shop.iana_timezone,
}


def _subscription_legacy_id(subscription: Record, _info: Info) -> int | None:
    parsed = parse_gid(subscription["id"])
    return parsed[1] if parsed else None


WEBHOOK_SUBSCRIPTION_RESOLVERS: dict[str, Resolver] = {
    "legacyResourceId": _subscription_legacy_id,
    "callbackUrl": lambda s, _i: s["uri"],
    "endpoint": lambda s, _i: {"__typename": "WebhookHttpEndpoint", "callbackUrl": s["uri"]},
    "includeFields": lambda s, _i: s.get("includeFields") or [],
    "metafieldNamespaces": lambda s, _i: s.get("metafieldNamespaces") or [],
    "metafields": lambda s, _i: [],
    "apiVersion": lambda s, i: {
        "handle": s.get("apiVersion") or context_of(i).config.api_versions[-1],
        "displayName": s.get("apiVersion") or context_of(i).config.api_versions[-1],
        "supported": True,
    },
}
