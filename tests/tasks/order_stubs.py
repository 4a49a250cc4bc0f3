"""A stand-in for `OrderRecord` (same attributes) so rule and aggregate tests read as small literal tables."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from tasks.rules.frames import orders_frame


@dataclass(frozen=True)
class StubOrder:
    """One paid, qualifying web order of customer 1 unless a test overrides a field."""

    order_id: int = 1
    order_gid: str = "gid://shopify/Order/1"
    name: str = "#1001"
    customer_id: int | None = 1
    email: str | None = "ada@example.com"
    processed_at: datetime = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    processed_date: date = date(2026, 3, 1)
    updated_at: datetime = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    cancelled: bool = False
    test: bool = False
    financial_status: str = "paid"
    current_total: Decimal = Decimal("50.00")
    total_price: Decimal = Decimal("50.00")
    currency: str = "USD"
    source_name: str | None = "web"
    order_tags: tuple[str, ...] = ()
    customer_tags: tuple[str, ...] = ()
    product_ids: tuple[int, ...] = (11,)
    product_types: tuple[str, ...] | None = ("shirts",)


def orders(*overrides: dict[str, Any]) -> pl.DataFrame:
    """An ORDERS_SCHEMA frame with one StubOrder per dict of overrides (order ids default to 1, 2, 3…)."""
    return orders_frame(
        replace(StubOrder(order_id=index, order_gid=f"gid://shopify/Order/{index}"), **fields)
        for index, fields in enumerate(overrides, start=1)
    )
