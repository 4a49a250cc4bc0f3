"""The drift report's "Invalid orders" section: every refused order with its field, and who is held back."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tasks.reconcile.invalid_orders import invalid_orders_markdown, write_invalid_orders
from tasks.shopify.rejections import RejectedOrder

REFUSED = [
    RejectedOrder(9, 700, "totalPriceSet.shopMoney.amount", "totalPriceSet.shopMoney.amount: must be … '-1'"),
    RejectedOrder(None, None, "id", "id must be a gid://shopify/Order/<id> global id, got 'a|b'"),
]


def test_no_invalid_order_adds_no_section_and_no_file(tmp_path: Path) -> None:
    """A clean run's report has no such section and no invalid_orders files."""
    assert invalid_orders_markdown([]) == ""
    assert write_invalid_orders([], tmp_path) == []


def test_each_invalid_order_is_listed_with_its_field_and_the_held_customers_counted(tmp_path: Path) -> None:
    """Rows name order, customer and field; a pipe in a reason cannot break the table; files hold all."""
    page = invalid_orders_markdown(REFUSED)

    assert "## Invalid orders: 2 refused, 1 customers not corrected" in page
    assert "| 9 | 700 | `totalPriceSet.shopMoney.amount` |" in page
    assert "| — | — | `id` | id must be a gid://shopify/Order/<id> global id, got 'a\\|b' |" in page
    parquet, csv = write_invalid_orders(REFUSED, tmp_path)
    assert pl.read_parquet(parquet).equals(pl.read_csv(csv, schema=pl.read_parquet(parquet).schema))
    assert pl.read_parquet(parquet)["order_id"].to_list() == [9, None]
