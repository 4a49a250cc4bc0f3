"""Which orders count: the configured rules as Polars expressions over an ORDERS_SCHEMA frame.

The real-time webhook path (a one-row frame) and the nightly reconciliation (every order) evaluate the same
expressions, so an order can never qualify in one and not in the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tasks.config import RulesConfig
from tasks.frames import ORDERS_SCHEMA

PRODUCT_TYPES_UNRESOLVED = "product_types_unresolved"


def skip_reason(rules: RulesConfig) -> pl.Expr:
    """The name of the first rule an order fails, or null when it qualifies.

    Rules are checked in this order: `test_order`, `cancelled`, `financial_status:<status>`,
    `product_types_unresolved` (a product-type rule is configured but the order's types are null: resolve them
    first), `include_product_types`, `exclude_product_type:<type>`, `require_order_tags`,
    `exclude_order_tag:<tag>`, `require_customer_tags`, `exclude_customer_tag:<tag>`, `include_source_names`,
    `exclude_source_name:<name>`, `min_order_total`. List rules match when any value matches, ignoring case.

    Args:
        rules: The `[rules]` section.

    Returns:
        A String expression named `skip_reason`.
    """
    # A bare string in then() would name a column, hence the explicit literal.
    reasons = [
        pl.when(failed).then(pl.lit(reason) if isinstance(reason, str) else reason)
        for failed, reason in _checks(rules)
    ]
    if not reasons:
        return pl.lit(None, dtype=pl.String()).alias("skip_reason")
    return pl.coalesce(reasons).cast(pl.String()).alias("skip_reason")


def qualifying(rules: RulesConfig) -> pl.Expr:
    """True when an order passes every rule (a Boolean expression named `qualifies`)."""
    return skip_reason(rules).is_null().alias("qualifies")


def evaluate_orders(orders: pl.DataFrame, rules: RulesConfig) -> pl.DataFrame:
    """The orders with two more columns, `skip_reason` (String) and `qualifies` (Boolean)."""
    return orders.with_columns(skip_reason(rules)).with_columns(
        pl.col("skip_reason").is_null().alias("qualifies")
    )


def _checks(rules: RulesConfig) -> list[tuple[pl.Expr, pl.Expr | str]]:
    """(order fails, reason) pairs in the documented order; only configured rules are included."""
    checks: list[tuple[pl.Expr, pl.Expr | str]] = []
    if rules.exclude_test_orders:
        checks.append((pl.col("test"), "test_order"))
    if rules.exclude_cancelled:
        checks.append((pl.col("cancelled"), "cancelled"))
    status = pl.col("financial_status").str.to_lowercase().fill_null("unknown")
    checks.append((~status.is_in(rules.financial_statuses), pl.lit("financial_status:") + status))
    if rules.uses_product_types:
        checks.append((pl.col("product_types").is_null(), PRODUCT_TYPES_UNRESOLVED))
    checks += _list_rules("product_types", "include_product_types", rules.include_product_types)
    checks += _list_rules("product_types", "exclude_product_type", rules.exclude_product_types, exclude=True)
    checks += _list_rules("order_tags", "require_order_tags", rules.require_order_tags)
    checks += _list_rules("order_tags", "exclude_order_tag", rules.exclude_order_tags, exclude=True)
    checks += _list_rules("customer_tags", "require_customer_tags", rules.require_customer_tags)
    checks += _list_rules("customer_tags", "exclude_customer_tag", rules.exclude_customer_tags, exclude=True)
    checks += _list_rules("source_name", "include_source_names", rules.include_source_names)
    checks += _list_rules("source_name", "exclude_source_name", rules.exclude_source_names, exclude=True)
    if rules.min_order_total > 0:
        checks.append((pl.col("current_total") < rules.min_order_total, "min_order_total"))
    return checks


def _list_rules(
    column: str, name: str, configured: Sequence[str], *, exclude: bool = False
) -> list[tuple[pl.Expr, pl.Expr | str]]:
    """An include rule fails when no value is listed; an exclude rule fails on the first listed value."""
    if not configured:
        return []
    first_listed = _first_listed(column, configured)
    if exclude:
        return [(first_listed.is_not_null(), pl.lit(f"{name}:") + first_listed)]
    return [(first_listed.is_null(), name)]


def _first_listed(column: str, configured: Sequence[str]) -> pl.Expr:
    """The column's first value (lowercased) found in `configured`, else null; for list and scalar columns."""
    if not isinstance(ORDERS_SCHEMA[column], pl.List):
        lowered = pl.col(column).str.to_lowercase()
        return pl.when(lowered.is_in(configured)).then(lowered)
    element = pl.element().str.to_lowercase()
    return pl.col(column).list.eval(element.filter(element.is_in(configured))).list.first()
