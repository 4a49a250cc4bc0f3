"""An independent oracle: what each customer's HubSpot purchase properties should be, from REST orders.

Deliberately plain Python (no Polars, nothing shared with the product code), so drills and tests can check
shopsync's answers against a second, obviously-correct computation. Default semantics:

- an order qualifies if it is not a test, not cancelled, and is paid or partially_refunded;
- total_spent sums `current_total_price_set.shop_money.amount` (net of refunds, shop currency);
- dates are `processed_at` as a calendar date in the offset Shopify sent (the shop-local business date);
- orders without a customer are unattributed and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

QUALIFYING_STATUSES = frozenset({"paid", "partially_refunded"})
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExpectedCustomer:
    """The values one customer's HubSpot contact should carry."""

    customer_id: int
    email: str | None
    total_spent: Decimal
    order_count: int
    first_order_date: date | None
    last_order_date: date | None
    last_order_number: str | None
    # The exact instant of the latest qualifying order: what the workflow trigger should at least show.
    last_order_at: datetime | None
    currency: str


def is_qualifying(order: Mapping[str, Any]) -> bool:
    """Whether an order counts towards a customer's totals."""
    return (
        not order.get("test", False)
        and order.get("cancelled_at") is None
        and order.get("financial_status") in QUALIFYING_STATUSES
    )


def expected_customers(orders: Iterable[Mapping[str, Any]]) -> dict[int, ExpectedCustomer]:
    """Each attributed customer's expected values, keyed by Shopify customer id.

    Customers whose orders all fail to qualify get total 0, count 0 and no dates.

    Args:
        orders: REST order payloads (as in the `orders/paid` webhook or `SeedData.orders`).

    Returns:
        One ExpectedCustomer per customer id seen on any order.
    """
    by_customer: dict[int, list[Mapping[str, Any]]] = {}
    for order in orders:
        customer = order.get("customer")
        if customer is not None:
            by_customer.setdefault(int(customer["id"]), []).append(order)
    return {customer_id: _summarise(customer_id, history) for customer_id, history in by_customer.items()}


def _summarise(customer_id: int, history: list[Mapping[str, Any]]) -> ExpectedCustomer:
    chronological = sorted(history, key=_processed_at)
    qualifying = [order for order in chronological if is_qualifying(order)]
    total = sum((_net_total(order) for order in qualifying), Decimal("0"))
    first, last = (qualifying[0], qualifying[-1]) if qualifying else (None, None)
    return ExpectedCustomer(
        customer_id=customer_id,
        email=_latest_email(chronological),
        total_spent=total.quantize(_CENT),
        order_count=len(qualifying),
        first_order_date=_processed_at(first).date() if first else None,
        last_order_date=_processed_at(last).date() if last else None,
        last_order_number=last["name"] if last else None,
        last_order_at=_processed_at(last) if last else None,
        currency=chronological[-1]["current_total_price_set"]["shop_money"]["currency_code"],
    )


def _processed_at(order: Mapping[str, Any]) -> datetime:
    # fromisoformat keeps the offset Shopify sent: .date() is the shop-local date, sorting compares instants.
    return datetime.fromisoformat(order["processed_at"])


def _net_total(order: Mapping[str, Any]) -> Decimal:
    return Decimal(order["current_total_price_set"]["shop_money"]["amount"])


def _latest_email(chronological: list[Mapping[str, Any]]) -> str | None:
    """customer.email, else email, else contact_email of the newest order having one; trimmed, lowercased."""
    for order in reversed(chronological):
        customer = order.get("customer") or {}
        for candidate in (customer.get("email"), order.get("email"), order.get("contact_email")):
            if candidate and candidate.strip():
                return str(candidate).strip().lower()
    return None
