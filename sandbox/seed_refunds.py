"""REST refunds (as in the `refunds/create` webhook and an order's `refunds` list) for generated orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.seed_models import IdAllocator, shop_timestamp
from sandbox.seed_money import MoneyPair, money_set, money_str
from sandbox.seed_scenarios import OrderSpec
from sandbox.shopify.ids import gid

RefundLines = list[tuple[dict[str, Any], int]]


@dataclass(frozen=True)
class RefundTotals:
    """What a refund took back, by component, in both currencies."""

    subtotal: MoneyPair
    tax: MoneyPair
    shipping: MoneyPair

    @classmethod
    def none(cls) -> RefundTotals:
        """No refund at all."""
        return cls(MoneyPair.zero(), MoneyPair.zero(), MoneyPair.zero())

    @property
    def total(self) -> MoneyPair:
        """The money returned to the buyer."""
        return self.subtotal + self.tax + self.shipping


def full_refund_lines(lines: list[dict[str, Any]]) -> RefundLines:
    """Every unit of every line."""
    return [(line, line["quantity"]) for line in lines]


def partial_refund_lines(lines: list[dict[str, Any]]) -> RefundLines:
    """One unit of the first line (callers make sure the order has more than that)."""
    return [(lines[0], 1)]


@dataclass(frozen=True)
class RefundRequest:
    """Which order, lines and shipping a refund covers, and when it happened."""

    order_id: int
    spec: OrderSpec
    lines: RefundLines
    shipping: MoneyPair
    shipping_line_id: int
    at: datetime
    shop_currency: str


def build_refund(request: RefundRequest, ids: IdAllocator) -> tuple[dict[str, Any], RefundTotals]:
    """A REST refund with `refund_line_items`, `refund_shipping_lines` and one refund transaction.

    The transaction amount is in presentment currency (what the buyer gets back), as Shopify's is.
    """
    currencies = (request.shop_currency, request.spec.presentment_currency)
    subtotal, tax = MoneyPair.zero(), MoneyPair.zero()
    refund_line_items = []
    for line, quantity in request.lines:
        line_subtotal = line["_unit"].times(quantity)
        line_tax = line_subtotal.tax()
        subtotal, tax = subtotal + line_subtotal, tax + line_tax
        refund_line_items.append(_refund_line_item(line, quantity, line_subtotal, line_tax, currencies, ids))
        line["current_quantity"] -= quantity
        line["fulfillable_quantity"] = line["current_quantity"]
    totals = RefundTotals(subtotal=subtotal, tax=tax, shipping=request.shipping)
    refund_id = ids.next()
    at = shop_timestamp(request.at)
    refund = {
        "id": refund_id,
        "admin_graphql_api_id": gid("Refund", refund_id),
        "order_id": request.order_id,
        "created_at": at,
        "processed_at": at,
        "note": "Customer return" if request.spec.refund == "partial" else "Order refunded in full",
        "user_id": None,
        "restock": False,
        "return": None,
        "duties": [],
        "total_duties_set": money_set(MoneyPair.zero(), *currencies),
        "order_adjustments": [],
        "refund_line_items": refund_line_items,
        "refund_shipping_lines": _refund_shipping_lines(request, currencies, ids),
        "transactions": [_refund_transaction(request, totals.total, at, ids)],
    }
    return refund, totals


def _refund_line_item(
    line: dict[str, Any],
    quantity: int,
    line_subtotal: MoneyPair,
    line_tax: MoneyPair,
    currencies: tuple[str, str],
    ids: IdAllocator,
) -> dict[str, Any]:
    return {
        "id": ids.next(),
        "line_item_id": line["id"],
        "quantity": quantity,
        "location_id": None,
        "restock_type": "no_restock",
        # Shopify sends these two as JSON numbers (see the refunds/create reference); *_set strings are exact.
        "subtotal": float(line_subtotal.shop),
        "total_tax": float(line_tax.shop),
        "subtotal_set": money_set(line_subtotal, *currencies),
        "total_tax_set": money_set(line_tax, *currencies),
        "line_item": {key: value for key, value in line.items() if not key.startswith("_")},
    }


def _refund_shipping_lines(
    request: RefundRequest, currencies: tuple[str, str], ids: IdAllocator
) -> list[dict[str, Any]]:
    if request.shipping == MoneyPair.zero():
        return []
    return [
        {
            "id": ids.next(),
            "shipping_line_id": request.shipping_line_id,
            "subtotal_amount_set": money_set(request.shipping, *currencies),
        }
    ]


def _refund_transaction(
    request: RefundRequest, amount: MoneyPair, at: str, ids: IdAllocator
) -> dict[str, Any]:
    transaction_id = ids.next()
    spec = request.spec
    return {
        "id": transaction_id,
        "admin_graphql_api_id": gid("OrderTransaction", transaction_id),
        "order_id": request.order_id,
        "kind": "refund",
        "gateway": "bogus" if spec.test else "cash" if spec.source_name == "pos" else "shopify_payments",
        "status": "success",
        "message": "Refunded",
        "created_at": at,
        "processed_at": at,
        "test": spec.test,
        "authorization": None,
        "parent_id": None,
        "location_id": None,
        "user_id": None,
        "device_id": None,
        "error_code": None,
        "source_name": "web",
        "receipt": {},
        "amount": money_str(amount.presentment),
        "currency": spec.presentment_currency,
        "manual_payment_gateway": False,
        "amount_rounding": None,
    }
