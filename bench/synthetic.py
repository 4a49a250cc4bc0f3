"""Synthetic orders and HubSpot contacts for the reconciliation benchmark, generated column-wise in Polars.

Every random draw is `hash(row index, seed)`, so a (size, seed) pair always gives the same frames on one
Polars version (hash values may change between Polars releases; the shares below do not). Shares follow a
busy store: ~5 % test orders, ~3 % cancelled, ~8 % (partially) refunded, ~2 % pending, ~1.5 % without a
customer. Contacts start from the expected values (they were in sync) and then drift: ~20 % of id-matched
contacts carry one stale value, ~2 % of customers have no contact (creates), ~3 % only an email match
(adoptions by primary or additional email), ~1 % of contacts are orphans, ~0.2 % duplicates, the rest leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl

from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import RulesConfig
from tasks.rules.frames import CONTACTS_SCHEMA, MONEY, ORDERS_SCHEMA, conform

ORDER_ID_BASE = 9_100_000_000_000_000  # above 2**53, as real Shopify ids can be: never through a float
CUSTOMER_ID_BASE = 7_390_000_000_000_000_000
_START = datetime(2024, 1, 1, tzinfo=UTC)
_TWO_YEARS_SECONDS = 2 * 365 * 86_400
_PER_MYRIAD = 10_000
_PRODUCT_TYPES = {0: "Shirts", 1: "Shoes", 2: "Gift Card", 3: "Accessories"}


@dataclass(frozen=True)
class SyntheticData:
    """An ORDERS_SCHEMA frame and a CONTACTS_SCHEMA frame describing the same store."""

    orders: pl.DataFrame
    contacts: pl.DataFrame


def generate(orders: int, contacts: int, seed: int = 7) -> SyntheticData:
    """Orders spread over `contacts` customers, and about `contacts` HubSpot contacts for them.

    Args:
        orders: Number of orders.
        contacts: Number of Shopify customers, and the target number of contacts (leads fill up the rest).
        seed: Seed of every draw.

    Returns:
        The two frames.
    """
    order_frame = synthetic_orders(orders, contacts, seed)
    expected = customer_aggregates(order_frame, RulesConfig())
    return SyntheticData(order_frame, _contacts(expected, contacts, seed))


def _draw(salt: int, seed: int, modulo: int) -> pl.Expr:
    """A uniform integer in [0, modulo) per row, independent for each salt."""
    return (pl.int_range(pl.len(), dtype=pl.Int64).hash(seed * 1_000 + salt) % modulo).cast(pl.Int64)


def _share(salt: int, seed: int, per_myriad: int) -> pl.Expr:
    """True for about `per_myriad` / 10 000 of the rows."""
    return _draw(salt, seed, _PER_MYRIAD) < per_myriad


def synthetic_orders(count: int, customers: int, seed: int = 7) -> pl.DataFrame:
    """`count` orders (ORDERS_SCHEMA) of up to `customers` customers, with the shares of the module doc."""
    columns = {**_who_and_when(customers, seed), **_status_and_money(seed), **_labels(seed)}
    frame = pl.select(pl.int_range(count).alias("row")).select(
        expression.alias(name) for name, expression in columns.items()
    )
    return conform(frame, ORDERS_SCHEMA)


def _who_and_when(customers: int, seed: int) -> dict[str, pl.Expr]:
    """Ids, name, customer (1.5 % none), email (3 % none) and times over two years."""
    # Squaring a uniform draw skews orders towards low customer indexes: a few customers buy a lot.
    uniform = _draw(1, seed, 1 << 30).cast(pl.Float64) / (1 << 30)
    customer_index = (uniform * uniform * customers).cast(pl.Int64)
    processed_at = pl.lit(_START) + pl.duration(seconds=_draw(5, seed, _TWO_YEARS_SECONDS))
    order_id = ORDER_ID_BASE + pl.int_range(pl.len(), dtype=pl.Int64) * 13
    return {
        "order_id": order_id,
        "order_gid": pl.format("gid://shopify/Order/{}", order_id),
        "name": pl.format("#{}", 1_001 + pl.int_range(pl.len())),
        "customer_id": pl.when(~_share(6, seed, 150)).then(CUSTOMER_ID_BASE + customer_index),
        "email": pl.when(~_share(7, seed, 300)).then(pl.format("customer{}@example.com", customer_index)),
        "processed_at": processed_at,
        "processed_date": processed_at.dt.convert_time_zone("America/New_York").dt.date(),
        "updated_at": processed_at + pl.duration(hours=_draw(8, seed, 72)),
    }


def _status_and_money(seed: int) -> dict[str, pl.Expr]:
    """5 % refunded (nothing kept), 3 % partially refunded, 2 % pending; 3 % cancelled, 5 % test."""
    status_draw = _draw(2, seed, _PER_MYRIAD)
    status = (
        pl.when(status_draw < 500)
        .then(pl.lit("refunded"))
        .when(status_draw < 800)
        .then(pl.lit("partially_refunded"))
        .when(status_draw < 1_000)
        .then(pl.lit("pending"))
        .otherwise(pl.lit("paid"))
    )
    cents = 500 + _draw(3, seed, 50_000)
    kept_cents = (
        pl.when(status == "refunded")
        .then(0)
        .when(status == "partially_refunded")
        .then(cents * (10 + _draw(4, seed, 80)) // 100)
        .otherwise(cents)
    )
    return {
        "cancelled": _share(9, seed, 300),
        "test": _share(10, seed, 500),
        "financial_status": status,
        "current_total": _money(kept_cents),
        "total_price": _money(cents),
        "currency": pl.lit("USD"),
    }


def _labels(seed: int) -> dict[str, pl.Expr]:
    """Source, tags and two products per order."""
    source = pl.when(_share(11, seed, 500)).then(None).when(_share(12, seed, 1_500)).then(pl.lit("pos"))
    return {
        "source_name": source.otherwise(pl.lit("web")),
        "order_tags": _tag_list(_share(13, seed, 400), "wholesale"),
        "customer_tags": _tag_list(_share(14, seed, 1_000), "vip"),
        "product_ids": pl.concat_list(1_000 + _draw(15, seed, 500), 1_000 + _draw(16, seed, 500)),
        "product_types": pl.concat_list(_product_type(17, seed), _product_type(18, seed)),
    }


def _money(cents: pl.Expr) -> pl.Expr:
    return (cents.cast(pl.Decimal(38, 2)) / 100).cast(MONEY)


def _tag_list(present: pl.Expr, tag: str) -> pl.Expr:
    return pl.when(present).then(pl.lit([tag])).otherwise(pl.lit([], dtype=pl.List(pl.String())))


def _product_type(salt: int, seed: int) -> pl.Expr:
    return _draw(salt, seed, len(_PRODUCT_TYPES)).replace_strict(_PRODUCT_TYPES, return_dtype=pl.String())


def _contacts(expected: pl.DataFrame, target: int, seed: int) -> pl.DataFrame:
    """Contacts for the expected customers (mostly in sync), plus orphans, duplicates and leads."""
    fate = expected.with_columns(_draw(20, seed, _PER_MYRIAD).alias("fate"))
    linked = fate.filter(pl.col("fate") >= 500)
    pieces = [
        _drifted(linked, seed),
        _free_contacts(fate.filter(pl.col("fate").is_between(200, 399)), primary=True),
        _free_contacts(fate.filter(pl.col("fate").is_between(400, 499)), primary=False),
        # Old addresses of id-matched customers: must not be adopted, the id match wins.
        _free_contacts(linked.filter(_share(21, seed, 100)), primary=False),
        _duplicates(linked.filter(_share(22, seed, 20))),
        _orphans(max(1, target // 100), seed),
    ]
    known = pl.concat([_as_contacts(piece) for piece in pieces])
    contacts = pl.concat([known, _leads(max(0, target - known.height))])
    # Contact ids in shuffled order and of varying length, as HubSpot's are.
    return contacts.sort(_draw(23, seed, 1 << 40)).with_columns(
        (51 + pl.int_range(pl.len(), dtype=pl.Int64) * 7).cast(pl.String()).alias("contact_id")
    )


def _drifted(linked: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Id-matched contacts; about one in five has one stale or missing value."""
    kind = pl.when(_share(24, seed, 2_000)).then(_draw(25, seed, 5))
    return linked.with_columns(
        pl.col("customer_id").alias("shopify_customer_id"),
        pl.when(kind == 0).then(pl.col("total_spent") + Decimal("1.00")).otherwise(pl.col("total_spent")),
        pl.when(kind == 1).then(pl.col("order_count") + 1).otherwise(pl.col("order_count")),
        pl.when(kind == 2)
        .then(pl.col("last_order_date").dt.offset_by("-3d"))
        .otherwise(pl.col("last_order_date")),
        pl.when(kind == 3).then(None).otherwise(pl.col("last_order_number")).alias("last_order_number"),
        pl.when(kind == 4).then(None).otherwise(pl.col("first_order_date")).alias("first_order_date"),
    )


def _free_contacts(customers: pl.DataFrame, *, primary: bool) -> pl.DataFrame:
    """Contacts without a Shopify id holding a customer's email as primary, or as an additional email."""
    if primary:
        email, additional = pl.col("email"), pl.lit([], dtype=pl.List(pl.String()))
    else:
        email = pl.format("lead-{}@example.org", pl.col("customer_id"))
        additional = pl.concat_list(pl.col("email")).list.drop_nulls()
    return customers.select(email.alias("email"), additional.alias("additional_emails"))


def _duplicates(linked: pl.DataFrame) -> pl.DataFrame:
    """A second contact carrying an already-used Shopify id (a merge that never happened)."""
    return linked.select(
        pl.col("customer_id").alias("shopify_customer_id"),
        pl.format("dup-{}@example.net", pl.col("customer_id")).alias("email"),
    )


def _orphans(count: int, seed: int) -> pl.DataFrame:
    """Contacts of Shopify customers that have no order at all (deleted or never synced), values set."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    return pl.select(pl.int_range(count).alias("row")).select(
        (CUSTOMER_ID_BASE + 10**12 + index).alias("shopify_customer_id"),
        pl.format("orphan{}@example.net", index).alias("email"),
        _money(100 + _draw(26, seed, 90_000)).alias("total_spent"),
        (1 + _draw(27, seed, 9)).alias("order_count"),
        pl.lit("USD").alias("currency"),
    )


def _leads(count: int) -> pl.DataFrame:
    """Contacts that never bought anything."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    return _as_contacts(
        pl.select(pl.int_range(count).alias("row")).select(
            pl.format("lead{}@example.org", index).alias("email")
        )
    )


def _as_contacts(frame: pl.DataFrame) -> pl.DataFrame:
    """CONTACTS_SCHEMA: missing columns become nulls (an empty list for additional emails)."""
    defaults = {"additional_emails": pl.lit([], dtype=pl.List(pl.String()))}
    return frame.select(
        (pl.col(name) if name in frame.columns else defaults.get(name, pl.lit(None))).cast(dtype).alias(name)
        for name, dtype in CONTACTS_SCHEMA.items()
    )
