"""Which orders count: the configured rules as Polars expressions over an ORDERS_SCHEMA frame.

The real-time webhook path (a one-row frame) and the nightly reconciliation (every order) evaluate the same
expressions, so an order can never qualify in one and not in the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from tasks.rules.config import RulesConfig
from tasks.rules.frames import ORDERS_SCHEMA

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
        pl.when(rule.fails).then(pl.lit(rule.reason) if isinstance(rule.reason, str) else rule.reason)
        for rule in _rules(rules)
    ]
    if not reasons:
        return pl.lit(None, dtype=pl.String()).alias("skip_reason")
    return pl.coalesce(reasons).cast(pl.String()).alias("skip_reason")


def qualifying(rules: RulesConfig) -> pl.Expr:
    """True when an order passes every rule (a Boolean expression named `qualifies`).

    The same rules as `skip_reason`, without building a reason string per order: the nightly run only needs
    this flag, for every order of the shop.
    """
    fails = [rule.fails for rule in _rules(rules)]
    if not fails:
        return pl.lit(True).alias("qualifies")
    # A null test passes in skip_reason (when(null) is not taken), so only a true one may disqualify.
    return (~pl.any_horizontal(fails).fill_null(False)).alias("qualifies")


def evaluate_orders(orders: pl.DataFrame, rules: RulesConfig) -> pl.DataFrame:
    """The orders with two more columns, `skip_reason` (String) and `qualifies` (Boolean)."""
    return orders.with_columns(skip_reason(rules)).with_columns(
        pl.col("skip_reason").is_null().alias("qualifies")
    )


@dataclass(frozen=True)
class _Rule:
    """One rule: when an order fails it (Boolean; null passes), and the reason named then."""

    fails: pl.Expr
    reason: pl.Expr | str


def _rules(rules: RulesConfig) -> list[_Rule]:
    """The configured rules in the documented order; unconfigured ones are left out."""
    checks: list[_Rule] = []
    if rules.exclude_test_orders:
        checks.append(_Rule(pl.col("test"), "test_order"))
    if rules.exclude_cancelled:
        checks.append(_Rule(pl.col("cancelled"), "cancelled"))
    status = pl.col("financial_status").str.to_lowercase().fill_null("unknown")
    checks.append(_Rule(~status.is_in(rules.financial_statuses), pl.lit("financial_status:") + status))
    if rules.uses_product_types:
        checks.append(_Rule(pl.col("product_types").is_null(), PRODUCT_TYPES_UNRESOLVED))
    checks += _list_rules("product_types", "include_product_types", rules.include_product_types)
    checks += _list_rules("product_types", "exclude_product_type", rules.exclude_product_types, exclude=True)
    checks += _list_rules("order_tags", "require_order_tags", rules.require_order_tags)
    checks += _list_rules("order_tags", "exclude_order_tag", rules.exclude_order_tags, exclude=True)
    checks += _list_rules("customer_tags", "require_customer_tags", rules.require_customer_tags)
    checks += _list_rules("customer_tags", "exclude_customer_tag", rules.exclude_customer_tags, exclude=True)
    checks += _list_rules("source_name", "include_source_names", rules.include_source_names)
    checks += _list_rules("source_name", "exclude_source_name", rules.exclude_source_names, exclude=True)
    if rules.min_order_total > 0:
        checks.append(_Rule(pl.col("current_total") < rules.min_order_total, "min_order_total"))
    return checks


def _list_rules(column: str, name: str, configured: Sequence[str], *, exclude: bool = False) -> list[_Rule]:
    """An include rule fails when no value is listed; an exclude rule fails on the first listed value."""
    if not configured:
        return []
    # A null column or list lists nothing.
    any_listed = _any_listed(column, configured).fill_null(False)
    if exclude:
        return [_Rule(any_listed, pl.lit(f"{name}:") + _first_listed(column, configured))]
    return [_Rule(~any_listed, name)]


def _lowered(column: str) -> pl.Expr:
    """The column's values, or a list column's elements, lowercased."""
    if isinstance(ORDERS_SCHEMA[column], pl.List):
        return pl.element().str.to_lowercase()
    return pl.col(column).str.to_lowercase()


def _any_listed(column: str, configured: Sequence[str]) -> pl.Expr:
    """Whether the column's value (or any element of a list column), lowercased, is in `configured`."""
    listed = _lowered(column).is_in(configured)
    if isinstance(ORDERS_SCHEMA[column], pl.List):
        return pl.col(column).list.eval(listed).list.any()
    return listed


def _first_listed(column: str, configured: Sequence[str]) -> pl.Expr:
    """The column's first value (lowercased) found in `configured`, else null; for list and scalar columns."""
    lowered = _lowered(column)
    if isinstance(ORDERS_SCHEMA[column], pl.List):
        return pl.col(column).list.eval(lowered.filter(lowered.is_in(configured))).list.first()
    return pl.when(lowered.is_in(configured)).then(lowered)
