"""A generated store for the scale curve: a Shopify bulk export file and a HubSpot portal that drifted.

A million orders are too many for the sandbox's object store (and its GraphQL executor), so the store is
generated column-wise with Polars (`bench.synthetic`) and written straight to the file a bulk export
produces: one JSONL line per order in the shape of `tasks.shopify.operations.bulk_orders_query`, then one
line per line item with `__parentId`, children after every parent as Shopify writes them with
`groupObjects: false`. The sandbox Shopify serves that file as the export's result
(`ShopifySandboxConfig.bulk_result_file`).

The HubSpot portal holds one contact per customer with an order, carrying the values shopsync computes from
those orders (`customer_aggregates`, default rules), and `drift_share` of the customers with a qualifying
order get one property knocked off (`bench.drifted_portal`); a correct run writes exactly those back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from bench.drifted_portal import drifted_portal
from bench.synthetic import synthetic_orders
from sandbox.expected import ExpectedCustomer
from sandbox.seed import SeedData
from sandbox.seed_models import DEMO_SHOP
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import RulesConfig

DRIFT_SHARE = 0.05
ORDERS_PER_CUSTOMER = 4
_LINE_ITEM_ID_BASE = 5_000_000_000_000


@dataclass(frozen=True)
class ScaleStore:
    """One generated store: its bulk file, the portal to seed, and what every contact must say afterwards."""

    orders: int
    customers: int
    bulk_file: Path
    bulk_bytes: int
    portal: SeedData
    expected: dict[int, ExpectedCustomer]
    drifted: int


def generate_store(orders: int, directory: Path, seed: int = 7) -> ScaleStore:
    """Write the bulk file of `orders` orders (customers = orders / 4) to `directory`; build the portal."""
    frame = synthetic_orders(orders, max(1, orders // ORDERS_PER_CUSTOMER), seed)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"orders-{orders}.jsonl"
    write_bulk_file(frame, path)
    aggregates = customer_aggregates(frame, RulesConfig())
    expected = {row["customer_id"]: ExpectedCustomer(**row) for row in aggregates.iter_rows(named=True)}
    buying = sum(1 for want in expected.values() if want.order_count)
    portal = drifted_portal(expected, round(buying * DRIFT_SHARE))
    data = SeedData(shop=DEMO_SHOP, products=[], customers=[], orders=[], hubspot_contacts=portal.contacts)
    return ScaleStore(
        orders=orders,
        customers=len(expected),
        bulk_file=path,
        bulk_bytes=path.stat().st_size,
        portal=data,
        expected=expected,
        drifted=len(portal.drifted_customers),
    )


def write_bulk_file(orders: pl.DataFrame, path: Path) -> None:
    """The JSONL a bulk export of these orders (ORDERS_SCHEMA) gives: every order, then every line item."""
    lines = pl.concat([_order_lines(orders), _line_item_lines(orders)])
    lines.write_csv(path, include_header=False, quote_style="never")


def _gid(resource: str, column: pl.Expr) -> pl.Expr:
    return pl.format(f"gid://shopify/{resource}/{{}}", column)


def _shop_money(column: str) -> pl.Expr:
    amount = pl.struct(
        pl.col(column).cast(pl.String()).alias("amount"), pl.col("currency").alias("currencyCode")
    )
    return pl.struct(amount.alias("shopMoney")).alias(f"{column}_set")


def _timestamp(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _order_lines(orders: pl.DataFrame) -> pl.DataFrame:
    customer = pl.struct(
        _gid("Customer", pl.col("customer_id")).alias("id"),
        pl.col("customer_id").cast(pl.String()).alias("legacyResourceId"),
        pl.struct(pl.col("email").alias("emailAddress")).alias("defaultEmailAddress"),
        pl.col("customer_tags").alias("tags"),
    )
    node = pl.struct(
        pl.col("order_gid").alias("id"),
        pl.col("order_id").cast(pl.String()).alias("legacyResourceId"),
        "name",
        "email",
        "test",
        # The store keeps no cancellation time; any time marks the order cancelled.
        pl.when("cancelled").then(_timestamp("updated_at")).alias("cancelledAt"),
        _timestamp("processed_at").alias("processedAt"),
        _timestamp("updated_at").alias("updatedAt"),
        pl.col("financial_status").str.to_uppercase().alias("displayFinancialStatus"),
        pl.col("currency").alias("currencyCode"),
        pl.col("source_name").alias("sourceName"),
        pl.col("order_tags").alias("tags"),
        _shop_money("current_total").alias("currentTotalPriceSet"),
        _shop_money("total_price").alias("totalPriceSet"),
        pl.when(pl.col("customer_id").is_not_null()).then(customer).alias("customer"),
    )
    return orders.select(node.struct.json_encode().alias("line"))


def _line_item_lines(orders: pl.DataFrame) -> pl.DataFrame:
    items = orders.select("order_gid", "product_ids", "product_types").explode("product_ids", "product_types")
    product = pl.struct(
        _gid("Product", pl.col("product_ids")).alias("id"), pl.col("product_types").alias("productType")
    )
    node = pl.struct(
        _gid("LineItem", _LINE_ITEM_ID_BASE + pl.int_range(pl.len())).alias("id"),
        pl.lit(1).alias("quantity"),
        product.alias("product"),
        pl.col("order_gid").alias("__parentId"),
    )
    return items.select(node.struct.json_encode().alias("line"))
