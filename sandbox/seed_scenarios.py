"""What orders the generated store holds: one planned order per edge case, then random everyday orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Edge-case roles played by customers (indexes into the shuffled customer pool).
_PARTIAL, _FULL, _ONLY_VOIDED, _CANCEL_REFUND, _CANCEL_PAID, _EUR, _GBP_PARTIAL = range(7)
_POS_NO_EMAIL, _PENDING, _ONLY_AUTHORIZED, _MIDNIGHT, _DELETED_PRODUCT, _TAGGED, _NO_ORDERS = range(7, 14)
_ROLE_COUNT = 14
# Customers whose order history must stay exactly as planned, so no random order may go to them.
_RESERVED_ROLES = (_ONLY_VOIDED, _ONLY_AUTHORIZED, _NO_ORDERS)
_EDGE_CASE_WINDOW_DAYS = 13


@dataclass(frozen=True)
class OrderSpec:
    """The facts of one order to build; `note` (with a `{name}` placeholder) becomes a drift line."""

    customer: dict[str, Any] | None
    processed_at: datetime
    status: str = "paid"
    refund: str = "none"
    cancel_reason: str | None = None
    test: bool = False
    presentment_currency: str = "USD"
    source_name: str = "web"
    email: str = ""
    tags: str = ""
    deleted_product: bool = False
    discount: bool = False
    note: str | None = None


def plan_orders(
    customers: list[dict[str, Any]], total: int, rng: random.Random, now: datetime, zone: ZoneInfo
) -> list[OrderSpec]:
    """Edge-case orders first (truncated if `total` is smaller), the rest random, sorted by processed_at.

    Args:
        customers: the store's customers; one may lose its email (a POS shopper known by phone only).
        total: how many orders to plan.
        rng: the seed's random source.
        now: the store's "now"; every order is processed before it.
        zone: the shop timezone, whose offset every timestamp carries.

    Returns:
        Specs in processed_at order, so order numbers can follow creation order.
    """
    pool = rng.sample(customers, k=len(customers))
    edge_cases = _edge_case_specs(pool, rng, now, zone)[:total]
    everyday_pool = _everyday_pool(pool)
    weights = [1 + index % 4 for index in range(len(everyday_pool))]
    everyday = [
        _everyday_spec(everyday_pool, weights, rng, now, zone) for _ in range(total - len(edge_cases))
    ]
    return sorted(edge_cases + everyday, key=lambda spec: spec.processed_at)


def _everyday_pool(pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(pool) <= _ROLE_COUNT + 2:
        return pool
    reserved = {id(pool[role]) for role in _RESERVED_ROLES}
    return [customer for customer in pool if id(customer) not in reserved]


# (customer role or None, days before now, shop-local time, facts). A note becomes a drift line.
_EDGE_CASES: tuple[tuple[int | None, int, time, dict[str, Any]], ...] = (
    (_PARTIAL, 12, time(10), {"refund": "partial", "note": "{name}: partially refunded, current < total"}),
    (_PARTIAL, 11, time(9), {"test": True, "note": "{name}: test order, must not count"}),
    (_FULL, 12, time(14), {"refund": "full", "note": "{name}: fully refunded"}),
    (
        _ONLY_VOIDED,
        11,
        time(16),
        {
            "status": "authorized",
            "cancel_reason": "customer",
            "note": "{name}: cancelled + voided, only order",
        },
    ),
    (
        _CANCEL_REFUND,
        10,
        time(11),
        {"refund": "full", "cancel_reason": "inventory", "note": "{name}: cancelled and refunded"},
    ),
    (
        _CANCEL_PAID,
        10,
        time(15),
        {"cancel_reason": "fraud", "note": "{name}: cancelled, still paid"},
    ),
    (_EUR, 9, time(12), {"presentment_currency": "EUR", "note": "{name}: bought in EUR, shop money is USD"}),
    (
        _GBP_PARTIAL,
        9,
        time(18),
        {
            "presentment_currency": "GBP",
            "refund": "partial",
            "note": "{name}: GBP presentment, partial refund",
        },
    ),
    (_POS_NO_EMAIL, 8, time(13), {"source_name": "pos", "note": "{name}: POS, customer without email"}),
    (None, 8, time(17), {"source_name": "pos", "note": "{name}: POS order, no customer, no email"}),
    (
        None,
        6,
        time(19),
        {"email": " Guest.Buyer@Example.NET ", "note": "{name}: guest checkout"},
    ),
    (_PENDING, 5, time(10), {"status": "pending", "note": "{name}: payment pending"}),
    (_ONLY_AUTHORIZED, 4, time(11), {"status": "authorized", "note": "{name}: authorized, only order"}),
    (
        _MIDNIGHT,
        7,
        time(23, 30),
        {"note": "{name}: 23:30 shop time, next day in UTC"},
    ),
    (
        _DELETED_PRODUCT,
        3,
        time(12),
        {"deleted_product": True, "note": "{name}: product deleted"},
    ),
    (_TAGGED, 2, time(9), {"tags": "Wholesale, rush ,gift", "note": "{name}: order tags with odd spacing"}),
)


def _edge_case_specs(
    pool: list[dict[str, Any]], rng: random.Random, now: datetime, zone: ZoneInfo
) -> list[OrderSpec]:
    # A walk-in known by phone only: no email anywhere on that customer's orders.
    pool[_POS_NO_EMAIL % len(pool)]["email"] = None
    today = now.astimezone(zone).date()
    specs = []
    for role, days_ago, local_time, facts in _EDGE_CASES:
        customer = None if role is None else pool[role % len(pool)]
        processed = datetime.combine(today - timedelta(days=days_ago), local_time, tzinfo=zone)
        email = facts.get("email", _checkout_email(customer, rng))
        specs.append(OrderSpec(customer, processed, **{**facts, "email": email}))
    return specs


def _everyday_spec(
    pool: list[dict[str, Any]], weights: list[int], rng: random.Random, now: datetime, zone: ZoneInfo
) -> OrderSpec:
    processed = (now - timedelta(days=rng.uniform(_EDGE_CASE_WINDOW_DAYS + 1, 400))).astimezone(zone)
    processed = processed.replace(microsecond=0)
    customer = None if rng.random() < 0.04 else rng.choices(pool, weights)[0]
    email = _checkout_email(customer, rng) if customer else f"guest{rng.randint(100, 999)}@example.net"
    status, refund, cancel_reason, test = _everyday_outcome(rng)
    return OrderSpec(
        customer,
        processed,
        status=status,
        refund=refund,
        cancel_reason=cancel_reason,
        test=test,
        presentment_currency=rng.choices(("USD", "EUR", "GBP"), weights=(85, 10, 5))[0],
        source_name="pos" if rng.random() < 0.06 else "web",
        email=email,
        tags=rng.choice(("", "", "", "gift", "Wholesale, rush ", "subscription")),
        deleted_product=rng.random() < 0.05,
        discount=refund == "none" and rng.random() < 0.15,
    )


# (cumulative probability, (financial status before refunds, refund kind, cancel reason, test)).
_EVERYDAY_OUTCOMES: tuple[tuple[float, tuple[str, str, str | None, bool]], ...] = (
    (0.70, ("paid", "none", None, False)),
    (0.80, ("paid", "partial", None, False)),
    (0.84, ("paid", "full", None, False)),
    (0.87, ("authorized", "none", "customer", False)),
    (0.90, ("paid", "none", None, True)),
    (0.94, ("pending", "none", None, False)),
    (0.97, ("authorized", "none", None, False)),
    (1.00, ("partially_paid", "none", None, False)),
)


def _everyday_outcome(rng: random.Random) -> tuple[str, str, str | None, bool]:
    """A realistic mix: mostly paid, some refunded, cancelled, test or not yet paid."""
    roll = rng.random()
    return next(outcome for threshold, outcome in _EVERYDAY_OUTCOMES if roll < threshold)


def _checkout_email(customer: dict[str, Any] | None, rng: random.Random) -> str:
    """The email typed at checkout: usually the customer's as stored, sometimes trimmed and lowercased."""
    stored = customer.get("email") if customer else None
    if not stored:
        return ""
    return stored.strip().lower() if rng.random() < 0.3 else str(stored)
