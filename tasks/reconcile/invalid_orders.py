"""The drift report's account of orders Shopify sent that break an order rule, and whom that holds back.

Such an order never enters the ledger (`tasks.shopify.order_rules`), so a customer's expected values would
be computed without it; the run corrects none of those customers and says so here, in the `drift-report`
page and in `invalid_orders.csv` / `.parquet` beside the corrections.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from tasks.shopify.rejections import RejectedOrder

INVALID_ORDERS_SCHEMA = pl.Schema(
    {"order_id": pl.Int64(), "customer_id": pl.Int64(), "field": pl.String(), "reason": pl.String()}
)
# Rows on the page; the files hold every one.
SHOWN = 50


def invalid_orders_frame(rejected: Sequence[RejectedOrder]) -> pl.DataFrame:
    """One row per refused order (INVALID_ORDERS_SCHEMA), ordered by order id."""
    rows = {
        "order_id": [order.order_id for order in rejected],
        "customer_id": [order.customer_id for order in rejected],
        "field": [order.field for order in rejected],
        "reason": [order.reason for order in rejected],
    }
    return pl.DataFrame(rows, schema=INVALID_ORDERS_SCHEMA).sort("order_id", nulls_last=True)


def invalid_orders_markdown(rejected: Sequence[RejectedOrder]) -> str:
    """The report section listing each refused order with its field and reason; "" when there is none."""
    if not rejected:
        return ""
    frame = invalid_orders_frame(rejected)
    held = frame.get_column("customer_id").drop_nulls().n_unique()
    rows = [
        f"| {_cell(row['order_id'])} | {_cell(row['customer_id'])} | `{row['field'] or '—'}` | "
        f"{_escaped(row['reason'])} |"
        for row in frame.head(SHOWN).iter_rows(named=True)
    ]
    more = ["", f"… and {frame.height - SHOWN} more in invalid_orders.csv."] if frame.height > SHOWN else []
    return "\n".join(
        [
            f"## Invalid orders: {frame.height} refused, {held} customers not corrected",
            "",
            "Shopify sent these orders with impossible values. They were not written to the order ledger, "
            "and their customers got **no correction this run**: their expected values would have been "
            "computed without the order. Fix the order in Shopify; the next run that reads it picks it up.",
            "",
            "| order | customer | field | reason |",
            "| ---: | ---: | --- | --- |",
            *rows,
            *more,
        ]
    )


def write_invalid_orders(rejected: Sequence[RejectedOrder], directory: Path) -> list[Path]:
    """Write `invalid_orders.parquet` and `.csv` in `directory` (created) when any order was refused."""
    if not rejected:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    frame = invalid_orders_frame(rejected)
    parquet, csv = directory / "invalid_orders.parquet", directory / "invalid_orders.csv"
    frame.write_parquet(parquet)
    frame.write_csv(csv)
    return [parquet, csv]


def _cell(value: int | None) -> str:
    return "—" if value is None else str(value)


def _escaped(text: str) -> str:
    """A reason inside a markdown table cell: pipes and line breaks would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")
