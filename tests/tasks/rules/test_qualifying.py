"""The order rules: each configured rule names itself as the skip reason of the orders it rejects."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tasks.rules.config import RulesConfig
from tasks.rules.qualifying import evaluate_orders, qualifying, skip_reason
from tests.tasks.order_stubs import orders


def reasons(frame: pl.DataFrame, rules: RulesConfig) -> pl.DataFrame:
    return evaluate_orders(frame, rules).select("order_id", "skip_reason", "qualifies")


def expected(*rows: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": list(range(1, len(rows) + 1)),
            "skip_reason": list(rows),
            "qualifies": [row is None for row in rows],
        },
        schema={"order_id": pl.Int64, "skip_reason": pl.String, "qualifies": pl.Boolean},
    )


def test_default_rules_count_only_paid_real_orders():
    """By default test orders, cancelled orders and unpaid or fully refunded orders don't count."""
    frame = orders(
        {"test": True, "cancelled": True},
        {"cancelled": True},
        {"financial_status": "pending"},
        {"financial_status": "refunded"},
        {"financial_status": "partially_refunded"},
    )
    result = reasons(frame, RulesConfig())
    assert_frame_equal(
        result,
        expected("test_order", "cancelled", "financial_status:pending", "financial_status:refunded", None),
    )


def test_switching_off_default_rules_lets_those_orders_count():
    """exclude_test_orders/exclude_cancelled can be turned off and financial_statuses narrowed."""
    frame = orders({"test": True}, {"cancelled": True}, {"financial_status": "partially_refunded"})
    rules = RulesConfig(exclude_test_orders=False, exclude_cancelled=False, financial_statuses=("paid",))
    assert_frame_equal(reasons(frame, rules), expected(None, None, "financial_status:partially_refunded"))


def test_include_product_types_ignore_case_and_need_resolved_types():
    """An order counts if any product type is included; unresolved (null) types are flagged for the caller."""
    frame = orders(
        {"product_types": ("Shirts", "mugs")}, {"product_types": ("mugs",)}, {"product_types": None}
    )
    rules = RulesConfig(include_product_types=("SHIRTS",))
    assert_frame_equal(
        reasons(frame, rules), expected(None, "include_product_types", "product_types_unresolved")
    )


def test_exclude_product_types_name_the_excluded_type():
    """An order holding an excluded type is skipped with that type in the reason; no types at all passes."""
    frame = orders(
        {"product_types": ("shirts", "Gift Card")}, {"product_types": ()}, {"product_types": ("shirts",)}
    )
    rules = RulesConfig(exclude_product_types=("gift card",))
    assert_frame_equal(reasons(frame, rules), expected("exclude_product_type:gift card", None, None))


def test_unresolved_product_types_are_fine_without_a_product_type_rule():
    """Webhook orders (types not yet resolved) qualify when no rule looks at product types."""
    assert_frame_equal(reasons(orders({"product_types": None}), RulesConfig()), expected(None))


def test_order_tag_rules():
    """require_order_tags needs any listed tag; exclude_order_tags rejects and names the first listed one."""
    frame = orders({"order_tags": ("vip",)}, {"order_tags": ()}, {"order_tags": ("vip", "wholesale")})
    rules = RulesConfig(require_order_tags=("VIP",), exclude_order_tags=("wholesale",))
    assert_frame_equal(
        reasons(frame, rules), expected(None, "require_order_tags", "exclude_order_tag:wholesale")
    )


def test_customer_tag_rules():
    """Customer tags work like order tags, under their own rule names."""
    frame = orders(
        {"customer_tags": ("member",)}, {"customer_tags": ("guest",)}, {"customer_tags": ("member", "staff")}
    )
    rules = RulesConfig(require_customer_tags=("member",), exclude_customer_tags=("staff",))
    assert_frame_equal(
        reasons(frame, rules), expected(None, "require_customer_tags", "exclude_customer_tag:staff")
    )


def test_source_name_rules():
    """Source names compare case-insensitively; an order without a source fails an include list."""
    frame = orders({"source_name": "Web"}, {"source_name": None}, {"source_name": "pos"})
    include = RulesConfig(include_source_names=("web",))
    exclude = RulesConfig(exclude_source_names=("POS",))
    assert_frame_equal(
        reasons(frame, include), expected(None, "include_source_names", "include_source_names")
    )
    assert_frame_equal(reasons(frame, exclude), expected(None, None, "exclude_source_name:pos"))


def test_min_order_total_compares_the_net_total_inclusively():
    """An order counts from exactly the minimum; the net current_total (after refunds) is what is compared."""
    frame = orders(
        {"current_total": Decimal("25.00")},
        {"current_total": Decimal("24.99"), "total_price": Decimal("80.00")},
    )
    rules = RulesConfig(min_order_total=Decimal("25"))
    assert_frame_equal(reasons(frame, rules), expected(None, "min_order_total"))


def test_the_first_failing_rule_is_reported():
    """Rules are checked in a fixed order, so an order failing several reports the earliest."""
    frame = orders(
        {"financial_status": "voided", "order_tags": ("wholesale",), "current_total": Decimal("1")}
    )
    rules = RulesConfig(exclude_order_tags=("wholesale",), min_order_total=Decimal("10"))
    assert_frame_equal(reasons(frame, rules), expected("financial_status:voided"))


def test_expressions_work_on_their_own_in_select():
    """skip_reason() and qualifying() are plain expressions the real-time path can select directly."""
    frame = orders({}, {"test": True})
    result = frame.select(skip_reason(RulesConfig()), qualifying(RulesConfig()))
    assert_frame_equal(
        result,
        pl.DataFrame({"skip_reason": [None, "test_order"], "qualifies": [True, False]}),
    )


_VALUES = st.sampled_from(
    ["Shirts", "gift card", "GIFT CARD", "vip", "VIP", "wholesale", "web", "pos", "POS", "mugs"]
)
_MAYBE_VALUES = st.none() | _VALUES
_TUPLES = st.lists(_MAYBE_VALUES, max_size=3).map(tuple)
_ORDER_FIELDS = st.fixed_dictionaries(
    {
        "test": st.none() | st.booleans(),
        "cancelled": st.none() | st.booleans(),
        "financial_status": st.none()
        | st.sampled_from(["paid", "PAID", "Partially_Refunded", "pending", "refunded", "voided"]),
        "current_total": st.none() | st.sampled_from([Decimal("0.00"), Decimal("24.99"), Decimal("25.00")]),
        "source_name": _MAYBE_VALUES,
        "order_tags": _TUPLES,
        "customer_tags": _TUPLES,
        "product_types": st.none() | _TUPLES,
    }
)
_LISTED = st.lists(
    st.sampled_from(["shirts", "gift card", "vip", "wholesale", "web", "pos"]), max_size=2
).map(tuple)
_RULES = st.builds(
    RulesConfig,
    min_order_total=st.sampled_from([Decimal("0"), Decimal("25")]),
    include_product_types=_LISTED,
    exclude_product_types=_LISTED,
    require_order_tags=_LISTED,
    exclude_order_tags=_LISTED,
    require_customer_tags=_LISTED,
    exclude_customer_tags=_LISTED,
    include_source_names=_LISTED,
    exclude_source_names=_LISTED,
    financial_statuses=st.sampled_from([("paid", "partially_refunded"), ("paid",), ("pending", "voided")]),
    exclude_test_orders=st.booleans(),
    exclude_cancelled=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(_ORDER_FIELDS, min_size=1, max_size=8), rules=_RULES)
def test_qualifying_is_exactly_no_skip_reason(rows: list[dict[str, object]], rules: RulesConfig):
    """The nightly flag and the real-time reason never disagree, nulls and mixed case included."""
    result = orders(*rows).select(qualifying(rules), skip_reason(rules).is_null().alias("no_reason"))
    assert result["qualifies"].to_list() == result["no_reason"].to_list()
