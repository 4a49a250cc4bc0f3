"""A small reconciliation scenario as literal frames: one customer per drift cause, plus one in sync.

| customer | orders (50.00 each unless said)  | HubSpot contact                       | cause            |
| 1        | paid                             | 101, total edited to 300.00 later     | manual edit      |
| 2        | paid, refunded to 30.00 on Mar 5 | 102, written Mar 1 with 50.00         | refund           |
| 3        | paid Mar 1 and Mar 10            | 103, written Mar 1 with one order     | missed webhook   |
| 4        | paid                             | none                                  | missed webhook   |
| 5        | paid                             | 105, same email, no Shopify id        | unlinked contact |
| 6        | paid, fully refunded on Mar 8    | 106, written Mar 1, one order: orphan | refund           |
| 7        | paid                             | 107, correct                          | (none)           |
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from tasks.reconcile.contact_pull import LAST_WRITTEN_SCHEMA
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import RulesConfig
from tasks.rules.frames import CONTACTS_SCHEMA
from tests.tasks.order_stubs import orders

MAR_1 = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
EDITED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MANUAL, REFUNDED, MISSED, CREATED, ADOPTED, ORPHAN, IN_SYNC = range(1, 8)


def scenario_orders() -> pl.DataFrame:
    """The ledger: one order per customer, customer 3 has two."""
    return orders(
        {"customer_id": MANUAL, "email": "c1@example.com"},
        {
            "customer_id": REFUNDED,
            "email": "c2@example.com",
            "financial_status": "partially_refunded",
            "current_total": Decimal("30.00"),
            "updated_at": datetime(2026, 3, 5, tzinfo=UTC),
        },
        {"customer_id": MISSED, "email": "c3@example.com"},
        {
            "customer_id": MISSED,
            "email": "c3@example.com",
            "name": "#1002",
            "processed_at": datetime(2026, 3, 10, tzinfo=UTC),
            "processed_date": date(2026, 3, 10),
            "updated_at": datetime(2026, 3, 10, tzinfo=UTC),
        },
        {"customer_id": CREATED, "email": "c4@example.com"},
        {"customer_id": ADOPTED, "email": "c5@example.com"},
        {
            "customer_id": ORPHAN,
            "email": "c6@example.com",
            "financial_status": "refunded",
            "current_total": Decimal("0.00"),
            "updated_at": datetime(2026, 3, 8, tzinfo=UTC),
        },
        {"customer_id": IN_SYNC, "email": "c7@example.com"},
    )


def scenario_expected() -> pl.DataFrame:
    return customer_aggregates(scenario_orders(), RulesConfig())


def _synced(customer_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "contact_id": f"10{customer_id}",
        "shopify_customer_id": customer_id,
        "email": f"c{customer_id}@example.com",
        "total_spent": Decimal("50.00"),
        "order_count": 1,
        "first_order_date": date(2026, 3, 1),
        "last_order_date": date(2026, 3, 1),
        "last_order_number": "#1001",
        "last_order_at": MAR_1,
        "currency": "USD",
        "additional_emails": [],
    } | overrides


def scenario_contacts() -> pl.DataFrame:
    rows = [
        _synced(MANUAL, total_spent=Decimal("300.00")),
        _synced(REFUNDED),
        _synced(MISSED),
        _synced(ADOPTED, shopify_customer_id=None, total_spent=None, order_count=None)
        | {"first_order_date": None, "last_order_date": None, "last_order_number": None, "currency": None}
        | {"last_order_at": None},
        _synced(ORPHAN),
        _synced(IN_SYNC),
    ]
    return pl.DataFrame(rows, schema=CONTACTS_SCHEMA)


def scenario_last_written() -> pl.DataFrame:
    rows = [
        ("101", EDITED),
        ("102", WRITTEN),
        ("103", WRITTEN),
        ("105", WRITTEN),
        ("106", WRITTEN),
        ("107", WRITTEN),
    ]
    return pl.DataFrame(rows, schema=LAST_WRITTEN_SCHEMA, orient="row")
