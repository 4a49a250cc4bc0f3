"""What HubSpot should say about each customer: purchase facts aggregated from their qualifying orders."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tasks.rules.config import MappingConfig, RulesConfig
from tasks.rules.frames import EXPECTED_SCHEMA, MAPPING_DTYPES, MONEY, ORDERS_SCHEMA, conform, with_mappings
from tasks.rules.qualifying import qualifying


def customer_aggregates(
    orders: pl.DataFrame, rules: RulesConfig, mappings: Sequence[MappingConfig] = ()
) -> pl.DataFrame:
    """One EXPECTED_SCHEMA row per customer that has any order in `orders`.

    Only qualifying orders (see `tasks.rules.qualifying`) count: `total_spent` sums `current_total` (shop
    money, net of refunds, 2 dp), `order_count` counts them, first/last order date are the shop-local
    `processed_date` of the earliest/latest one, `last_order_number` is the latest one's name and
    `last_order_at` its exact `processed_at` (UTC, to the millisecond HubSpot keeps). A customer
    whose orders all stopped qualifying (refunded, cancelled) still gets a row, with total 0, count 0 and null
    dates, so HubSpot is reset rather than left stale. `email` is the email of the latest order that has one;
    `currency` that of the latest order. Orders without a customer are left out.

    Args:
        orders: An ORDERS_SCHEMA frame (all of a customer's orders, or the customer is under-counted).
        rules: The `[rules]` section.
        mappings: Extra properties, each taken from the latest qualifying order (null if none qualifies).

    Returns:
        EXPECTED_SCHEMA plus one column per mapping, sorted by customer_id.
    """
    # Sorting row numbers, not the orders: only each customer's picked rows are ever read.
    oldest_first = orders.select(pl.arg_sort_by("processed_at", "order_id")).to_series()
    per_customer = _totals_and_picks(orders, rules, _places(oldest_first))

    def read(pick: str, *values: pl.Expr) -> pl.DataFrame:
        """`values` of each customer's picked order; a null pick (no such order) reads as nulls."""
        rows = oldest_first.gather(per_customer[pick])
        columns = {name for value in values for name in value.meta.root_names()}
        return orders.select(pl.col(*columns).gather(rows)).select(values)

    aggregated = pl.concat(
        [
            per_customer.select("customer_id", "total_spent", "order_count"),
            read("latest_with_email", pl.col("email")),
            read("first_counted", pl.col("processed_date").alias("first_order_date")),
            read(
                "latest_counted",
                pl.col("processed_date").alias("last_order_date"),
                pl.col("name").alias("last_order_number"),
                pl.col("processed_at").dt.cast_time_unit("ms").alias("last_order_at"),
                *(_mapped_value(mapping).alias(mapping.property) for mapping in mappings),
            ),
            read("latest", pl.col("currency")),
        ],
        how="horizontal",
    )
    return conform(aggregated, with_mappings(EXPECTED_SCHEMA, mappings))


def _totals_and_picks(orders: pl.DataFrame, rules: RulesConfig, places: pl.Series) -> pl.DataFrame:
    """Per customer, by id: total_spent, order_count, and the place (see `_places`) of the orders that the
    other facts are read from: `latest`, `latest_with_email`, `first_counted`, `latest_counted`."""
    counted, place = pl.col("qualifies"), pl.col("__place")
    return (
        orders.lazy()
        .select("customer_id", "current_total", "email", qualifying(rules), places.alias("__place"))
        .group_by("customer_id")
        .agg(
            pl.when(counted).then(pl.col("current_total")).sum().round(2).cast(MONEY).alias("total_spent"),
            counted.sum().alias("order_count"),
            place.max().alias("latest"),
            pl.when(pl.col("email").is_not_null()).then(place).max().alias("latest_with_email"),
            pl.when(counted).then(place).min().alias("first_counted"),
            pl.when(counted).then(place).max().alias("latest_counted"),
        )
        # Orders without a customer form one null group: dropping that row is cheaper than filtering orders.
        .filter(pl.col("customer_id").is_not_null())
        .sort("customer_id")
        # Plain sums, mins and maxes: the streaming engine aggregates them in about half the CPU time.
        .collect(engine="streaming")
    )


def _places(oldest_first: pl.Series) -> pl.Series:
    """Each order's place in `oldest_first` (its inverse permutation): a later order has a larger place."""
    count, index = oldest_first.len(), pl.get_index_type()
    return pl.zeros(count, index, eager=True).scatter(
        oldest_first, pl.int_range(count, dtype=index, eager=True)
    )


def _mapped_value(mapping: MappingConfig) -> pl.Expr:
    """The order column a mapping reads, in the mapping's type; tag lists join as HubSpot's "a;b"."""
    column = mapping.source_column()
    value = pl.col(column)
    if isinstance(ORDERS_SCHEMA[column], pl.List):
        value = value.list.join(";")
    return value.cast(MAPPING_DTYPES[mapping.type])
