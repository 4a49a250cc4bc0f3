"""An order's money and timestamps as Shopify's REST shape writes them: `*_set` pairs in shop and
presentment currency, refunds converted at the order's own rate, times in the shop's UTC offset."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")


def rest_timestamp(at: datetime, timezone: str) -> str:
    """Format `at` as Shopify's REST API does: ISO 8601 with the shop's UTC offset."""
    return at.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def money_set(shop_amount: Decimal, presentment_amount: Decimal, order: dict[str, Any]) -> dict[str, Any]:
    """Build a REST `*_set` object in the order's shop and presentment currencies."""
    return {
        "shop_money": {"amount": str(shop_amount), "currency_code": order["currency"]},
        "presentment_money": {
            "amount": str(presentment_amount),
            "currency_code": order.get("presentment_currency") or order["currency"],
        },
    }


def presentment_current(order: dict[str, Any]) -> Decimal:
    """The order's current total in its presentment currency."""
    money = (order.get("current_total_price_set") or {}).get("presentment_money")
    return Decimal(money["amount"]) if money else Decimal(order["current_total_price"])


def presentment_share(order: dict[str, Any], shop_amount: Decimal) -> Decimal:
    """Convert a shop-currency refund at the order's own exchange rate."""
    shop_total = Decimal(order["current_total_price"])
    if shop_total == 0:
        return Decimal("0.00")
    return (shop_amount * presentment_current(order) / shop_total).quantize(CENT)
