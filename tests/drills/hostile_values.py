"""Fuzz strategy for correctly signed, well-formed orders whose values are impossible.

Each request is a real order of the shop with exactly one value made impossible: negative money, a currency
Shopify does not know, a time without a UTC offset, an id that is zero, negative or past int64, a financial
status Shopify never sends, an absurd line quantity. The receiver stores it (it judges signatures and
shapes, not meaning); the sync must end it `failed` with a reason naming `failed_field`, and it must never
reach the ledger or HubSpot. An impossible top-level `id` is already refused at the door (400).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from tasks.shopify.order_rules import CURRENCY_CODES, FINANCIAL_STATUSES, MAX_LINE_ITEM_QUANTITY
from tests.drills.hostile_requests import IMPOSSIBLE_PREFIX, HostileRequest, Shop, new_webhook_id

_INT64_MAX = 2**63 - 1
_impossible_ids = st.one_of(st.integers(max_value=0), st.integers(min_value=_INT64_MAX + 1, max_value=2**70))
_negative_money = st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False, allow_infinity=False)
_unknown_currency = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5).filter(
    lambda code: code not in CURRENCY_CODES
)
_unknown_status = st.text(min_size=1, max_size=20).filter(
    lambda status: status.strip() != "" and status.strip().lower() not in FINANCIAL_STATUSES
)
_absurd_quantity = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_LINE_ITEM_QUANTITY + 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
_naive_time = st.datetimes().map(lambda moment: moment.isoformat())

# kind → (values, where it goes: path in the order → the field the failure must name)
_Place = Callable[[dict[str, Any], Any, int], str]


def _set(order: dict[str, Any], path: list[str | int], value: object) -> None:
    target: Any = order
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _money(order: dict[str, Any], value: Any, pick: int) -> str:
    field = ("current_total_price", "total_price")[pick % 2]
    _set(order, [f"{field}_set", "shop_money", "amount"], str(value))
    return f"{field}_set.shop_money.amount"


def _currency(order: dict[str, Any], value: Any, _pick: int) -> str:
    _set(order, ["current_total_price_set", "shop_money", "currency_code"], value)
    return "current_total_price_set.shop_money.currency_code"


def _time(order: dict[str, Any], value: Any, pick: int) -> str:
    field = ("processed_at", "updated_at")[pick % 2]
    order[field] = value
    return field


def _customer_id(order: dict[str, Any], value: Any, _pick: int) -> str:
    order["customer"] = {**(order.get("customer") or {}), "id": value}
    return "customer.id"


def _line(order: dict[str, Any], key: str, value: Any, pick: int) -> str:
    if not order.get("line_items"):
        order["line_items"] = [{"id": 1, "product_id": None, "quantity": 1, "price": "1.00"}]
    index = pick % len(order["line_items"])
    order["line_items"][index][key] = value
    return f"line_items[{index}].{key}"


def _status(order: dict[str, Any], value: Any, _pick: int) -> str:
    order["financial_status"] = value
    return "financial_status"


_KINDS: dict[str, tuple[st.SearchStrategy[Any], _Place]] = {
    "negative_money": (_negative_money, _money),
    "unknown_currency": (_unknown_currency, _currency),
    "time_without_offset": (_naive_time, _time),
    "impossible_customer_id": (_impossible_ids, _customer_id),
    "impossible_product_id": (_impossible_ids, lambda order, v, pick: _line(order, "product_id", v, pick)),
    "unknown_financial_status": (_unknown_status, _status),
    "absurd_quantity": (_absurd_quantity, lambda order, v, pick: _line(order, "quantity", v, pick)),
}


def impossible_values(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A signed real order with one impossible value → 200 and later `failed` naming the field; an
    impossible top-level `id` → 400 invalid_body at the door."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        order = json.loads(draw(st.integers(0, 10_000).map(shop.body_of)))
        if draw(st.integers(0, 9)) == 0:
            order["id"] = draw(_impossible_ids)
            body = json.dumps(order).encode()
            webhook_id = new_webhook_id()
            return HostileRequest(
                body, shop.headers(body, webhook_id=webhook_id), 400, "invalid_body", webhook_id
            )
        values, place = _KINDS[draw(st.sampled_from(sorted(_KINDS)))]
        field = place(order, draw(values), draw(st.integers(0, 50)))
        body = json.dumps(order).encode()
        webhook_id = new_webhook_id(IMPOSSIBLE_PREFIX)
        headers = shop.headers(body, webhook_id=webhook_id)
        return HostileRequest(body, headers, 200, None, webhook_id, failed_field=field)

    return build()
