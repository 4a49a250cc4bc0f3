"""What HubSpot should say about each customer: purchase facts aggregated from their qualifying orders."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tasks.config import MappingConfig, RulesConfig
from tasks.frames import EXPECTED_SCHEMA, MAPPING_DTYPES, MONEY, ORDERS_SCHEMA, conform, with_mappings
from tasks.rules import qualifying


def customer_aggregates(
    orders: pl.DataFrame, rules: RulesConfig, mappings: Sequence[MappingConfig] = ()
) -> pl.DataFrame:
    """One EXPECTED_SCHEMA row per customer that has any order in `orders`.

    Only qualifying orders (see `tasks.rules`) count: `total_spent` sums `current_total` (shop money, net of
    refunds, 2 dp), `order_count` counts them, first/last order date are the shop-local `processed_date` of
    the earliest/latest one, `last_order_number` is the latest one's name. A customer whose orders all stopped
    qualifying (refunded, cancelled) still gets a row, with total 0, count 0 and null dates, so HubSpot is
    reset rather than left stale. `email` is the email of the latest order that has one; `currency` that of
    the latest order. Orders without a customer are left out.

    Args:
        orders: An ORDERS_SCHEMA frame (all of a customer's orders, or the customer is under-counted).
        rules: The `[rules]` section.
        mappings: Extra properties, each taken from the latest qualifying order (null if none qualifies).

    Returns:
        EXPECTED_SCHEMA plus one column per mapping, sorted by customer_id.
    """
    counted = pl.col("qualifies")
    latest_counted = [
        _mapped_value(mapping).filter(counted).last().alias(mapping.property) for mapping in mappings
    ]
    aggregated = (
        orders.filter(pl.col("customer_id").is_not_null())
        # Sorted once so that first()/last() inside each group mean earliest/latest: group_by keeps row order.
        .sort("processed_at", "order_id")
        .with_columns(qualifying(rules))
        .group_by("customer_id")
        .agg(
            pl.col("email").drop_nulls().last(),
            pl.col("current_total").filter(counted).sum().round(2).cast(MONEY).alias("total_spent"),
            counted.sum().alias("order_count"),
            pl.col("processed_date").filter(counted).first().alias("first_order_date"),
            pl.col("processed_date").filter(counted).last().alias("last_order_date"),
            pl.col("name").filter(counted).last().alias("last_order_number"),
            pl.col("currency").last(),
            *latest_counted,
        )
        .sort("customer_id")
    )
    return conform(aggregated, with_mappings(EXPECTED_SCHEMA, mappings))


def _mapped_value(mapping: MappingConfig) -> pl.Expr:
    """The order column a mapping reads, in the mapping's type; tag lists join as HubSpot's "a;b"."""
    column = mapping.source_column()
    value = pl.col(column)
    if isinstance(ORDERS_SCHEMA[column], pl.List):
        value = value.list.join(";")
    return value.cast(MAPPING_DTYPES[mapping.type])
