"""GraphQL `Order`, `LineItem` and `Refund` fields read from REST-shaped orders.

Fields not listed here fall through to the camelCase -> snake_case default resolver
(`processedAt` -> `processed_at`, `currentTotalPriceSet` -> `current_total_price_set`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.shopify.ids import gid
from sandbox.shopify.resolvers_connection import (
    Info,
    Record,
    Searchable,
    SortKeyFn,
    by_id,
    by_timestamp,
    context_of,
    paginate,
    search_connection,
)
from sandbox.shopify.search_query import FilterField, Kind

Resolver = Callable[..., Any]

_FULFILLMENT_STATUS = {
    None: "UNFULFILLED",
    "fulfilled": "FULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "restocked": "RESTOCKED",
}


def split_tags(tags: str | list[str] | None) -> list[str]:
    """REST keeps tags as one comma-separated string; GraphQL returns a list."""
    if isinstance(tags, list):
        return tags
    return [tag.strip() for tag in (tags or "").split(",") if tag.strip()]


def customer_id_of(order: Record) -> int | None:
    """The numeric id of the order's customer, if it has one."""
    customer = order.get("customer")
    return int(customer["id"]) if customer else None


def _order_status_labels(order: Record) -> list[str]:
    """Which `status:` values an order matches (Shopify: open, closed, cancelled, not_closed)."""
    labels = ["any"]
    if order.get("cancelled_at"):
        labels.append("cancelled")
    if order.get("closed_at"):
        labels.append("closed")
    else:
        labels.append("not_closed")
        if not order.get("cancelled_at"):
            labels.append("open")
    return labels


ORDER_FILTERS: dict[str, FilterField] = {
    "updated_at": FilterField(Kind.DATETIME, lambda o: o.get("updated_at")),
    "created_at": FilterField(Kind.DATETIME, lambda o: o.get("created_at")),
    "processed_at": FilterField(Kind.DATETIME, lambda o: o.get("processed_at")),
    "customer_id": FilterField(Kind.INT, customer_id_of),
    "id": FilterField(Kind.INT, lambda o: o["id"]),
    "test": FilterField(Kind.BOOL, lambda o: o.get("test")),
    "financial_status": FilterField(Kind.TEXT, lambda o: o.get("financial_status")),
    "status": FilterField(Kind.TAGS, _order_status_labels),
    "email": FilterField(Kind.TEXT, lambda o: o.get("email")),
    "name": FilterField(Kind.TEXT, lambda o: o.get("name")),
    "tag": FilterField(Kind.TAGS, lambda o: split_tags(o.get("tags"))),
    "source_name": FilterField(Kind.TEXT, lambda o: o.get("source_name")),
    "sku": FilterField(Kind.TAGS, lambda o: [li.get("sku") or "" for li in o["line_items"]]),
}

ORDER_SORT_KEYS: dict[str, SortKeyFn] = {
    "PROCESSED_AT": by_timestamp("processed_at"),
    "UPDATED_AT": by_timestamp("updated_at"),
    "CREATED_AT": by_timestamp("created_at"),
    "ID": by_id,
    "ORDER_NUMBER": lambda o: (int(o.get("number") or 0), int(o["id"])),
    "TOTAL_PRICE": lambda o: (int(Decimal(o["total_price"]) * 100), int(o["id"])),
}


ORDER_SEARCH = Searchable("orders", ORDER_FILTERS, ORDER_SORT_KEYS, "PROCESSED_AT")


def order_connection(orders: list[Record], info: Info, **args: Any) -> Record:
    """Filter (`query:`), sort (`sortKey`, `reverse`) and page a list of orders."""
    return search_connection(orders, ORDER_SEARCH, info, args)


def _refund_total(refund: Record) -> Decimal:
    return sum(
        (
            Decimal(t["amount"])
            for t in refund.get("transactions", [])
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ),
        Decimal("0"),
    )


def _money_bag(order: Record, shop_amount: Decimal) -> Record:
    """A MoneyBag; the presentment side uses the order's own exchange rate."""
    totals = order.get("total_price_set") or {}
    shop_total = Decimal(totals.get("shop_money", {}).get("amount") or order["total_price"])
    presentment_total = Decimal(totals.get("presentment_money", {}).get("amount") or shop_total)
    rate = presentment_total / shop_total if shop_total else Decimal(1)
    presentment_currency = order.get("presentment_currency") or order["currency"]
    return {
        "shopMoney": {"amount": shop_amount, "currencyCode": order["currency"]},
        "presentmentMoney": {
            "amount": (shop_amount * rate).quantize(Decimal("0.01")),
            "currencyCode": presentment_currency,
        },
    }


def _order_of(info: Info, order_id: int) -> Record | None:
    return context_of(info).store.get_order(order_id)


def _order_customer(order: Record, info: Info) -> Record | None:
    customer = order.get("customer")
    if not customer:
        return None
    return context_of(info).store.get_customer(int(customer["id"])) or customer


def _line_items(order: Record, info: Info, **args: Any) -> Record:
    return paginate(order.get("line_items", []), by_id, args, info)


def _refunds(order: Record, _info: Info, first: int | None = None) -> list[Record]:
    refunds: list[Record] = [{**r, "_order": order} for r in order.get("refunds", [])]
    return refunds if first is None else refunds[:first]


def _total_refunded(order: Record, _info: Info) -> Record:
    total = sum((_refund_total(r) for r in order.get("refunds", [])), Decimal("0"))
    return _money_bag(order, total)


def _line_item_product(item: Record, info: Info) -> Record | None:
    product_id = item.get("product_id")
    return context_of(info).store.get_product(int(product_id)) if product_id else None


def _line_item_original_total(item: Record, _info: Info) -> Record:
    def times_quantity(money: Record) -> Record:
        return {**money, "amount": Decimal(money["amount"]) * int(item["quantity"])}

    price_set = item["price_set"]
    return {key: times_quantity(money) for key, money in price_set.items()}


ORDER_RESOLVERS: dict[str, Resolver] = {
    "id": lambda o, _i: gid("Order", o["id"]),
    "legacyResourceId": lambda o, _i: o["id"],
    "currencyCode": lambda o, _i: o["currency"],
    "presentmentCurrencyCode": lambda o, _i: o.get("presentment_currency") or o["currency"],
    "displayFinancialStatus": lambda o, _i: (o.get("financial_status") or "").upper() or None,
    "displayFulfillmentStatus": lambda o, _i: _FULFILLMENT_STATUS.get(
        o.get("fulfillment_status"), "UNFULFILLED"
    ),
    "cancelReason": lambda o, _i: (o.get("cancel_reason") or "").upper() or None,
    "closed": lambda o, _i: bool(o.get("closed_at")),
    "customerAcceptsMarketing": lambda o, _i: bool(o.get("buyer_accepts_marketing")),
    "tags": lambda o, _i: split_tags(o.get("tags")),
    "originalTotalPriceSet": lambda o, _i: o["total_price_set"],
    "customer": _order_customer,
    "lineItems": _line_items,
    "refunds": _refunds,
    "totalRefundedSet": _total_refunded,
}

LINE_ITEM_RESOLVERS: dict[str, Resolver] = {
    "id": lambda li, _i: gid("LineItem", li["id"]),
    "originalUnitPriceSet": lambda li, _i: li["price_set"],
    "originalTotalSet": _line_item_original_total,
    "isGiftCard": lambda li, _i: bool(li.get("gift_card")),
    "product": _line_item_product,
}

REFUND_RESOLVERS: dict[str, Resolver] = {
    "id": lambda r, _i: gid("Refund", r["id"]),
    "legacyResourceId": lambda r, _i: r["id"],
    "order": lambda r, i: r.get("_order") or _order_of(i, int(r["order_id"])),
    "updatedAt": lambda r, _i: r.get("processed_at") or r.get("created_at"),
    "totalRefundedSet": lambda r, i: _money_bag(
        r.get("_order") or _order_of(i, int(r["order_id"])) or {}, _refund_total(r)
    ),
}
