"""Customer aggregates: the purchase facts HubSpot should show, computed from qualifying orders only."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from sandbox.expected import expected_customers
from sandbox.seed import generate_store
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import MappingConfig, RulesConfig
from tasks.rules.frames import EXPECTED_SCHEMA, orders_frame
from tasks.shopify.models import OrderRecord
from tests.tasks.order_stubs import orders


def at(day: int, hour: int = 15) -> dict[str, object]:
    """processed_at on 2026-03-<day> (UTC) with the matching shop-local processed_date."""
    return {"processed_at": datetime(2026, 3, day, hour, tzinfo=UTC), "processed_date": date(2026, 3, day)}


def expected(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=EXPECTED_SCHEMA, orient="row")


def test_refunds_lower_the_total_and_cancelled_or_test_orders_do_not_count():
    """Net current totals of paid/partially refunded orders add up; cancelled and test orders are ignored.
    The trigger instant is the latest qualifying order's, not the later cancelled or test one's."""
    frame = orders(
        {**at(1), "name": "#1001", "current_total": Decimal("50.00")},
        {
            **at(5),
            "name": "#1002",
            "financial_status": "partially_refunded",
            "current_total": Decimal("30.10"),
        },
        {**at(7), "name": "#1003", "cancelled": True, "current_total": Decimal("99.00")},
        {**at(8), "name": "#1004", "test": True, "current_total": Decimal("99.00")},
    )
    assert_frame_equal(
        customer_aggregates(frame, RulesConfig()),
        expected(
            (
                1,
                "ada@example.com",
                Decimal("80.10"),
                2,
                date(2026, 3, 1),
                date(2026, 3, 5),
                "#1002",
                datetime(2026, 3, 5, 15, tzinfo=UTC),
                "USD",
            )
        ),
    )


def test_dates_are_the_shop_local_business_date():
    """An order at 23:30 in New York (04:30 UTC next day) is dated the New York day, not the UTC day."""
    late_evening = {
        "processed_at": datetime(2026, 3, 2, 4, 30, tzinfo=UTC),
        "processed_date": date(2026, 3, 1),
    }
    result = customer_aggregates(orders(late_evening), RulesConfig())
    assert result.select("first_order_date", "last_order_date").row(0) == (date(2026, 3, 1), date(2026, 3, 1))


def test_latest_order_is_chosen_by_processed_time_not_by_id():
    """A back-dated import (higher id, earlier processed_at) is neither the last order nor its number."""
    frame = orders({**at(9), "name": "#1001"}, {**at(2), "name": "#1002"})
    result = customer_aggregates(frame, RulesConfig())
    assert result.select("first_order_date", "last_order_date", "last_order_number").row(0) == (
        date(2026, 3, 2),
        date(2026, 3, 9),
        "#1001",
    )


def test_customer_with_no_qualifying_order_is_reset_to_zero():
    """A customer whose orders were all refunded or cancelled gets total 0, count 0 and empty dates."""
    frame = orders(
        {"customer_id": 7, "financial_status": "refunded", "current_total": Decimal("0.00")},
        {"customer_id": 7, "cancelled": True},
    )
    assert_frame_equal(
        customer_aggregates(frame, RulesConfig()),
        expected((7, "ada@example.com", Decimal("0.00"), 0, None, None, None, None, "USD")),
    )


def test_one_row_per_customer_with_latest_email_and_no_unattributed_orders():
    """Orders without a customer are skipped; the email is the latest order's that has one."""
    frame = orders(
        {**at(1), "customer_id": 2, "email": "old@example.com"},
        {**at(3), "customer_id": 2, "email": None},
        {**at(2), "customer_id": None, "email": "guest@example.com"},
        {**at(4), "customer_id": 1, "current_total": Decimal("0.10")},
        {**at(5), "customer_id": 1, "current_total": Decimal("0.20"), "name": "#1005"},
    )
    columns = ["customer_id", "email", "total_spent", "order_count"]
    result = customer_aggregates(frame, RulesConfig()).select(columns)
    assert_frame_equal(
        result,
        pl.DataFrame(
            [(1, "ada@example.com", Decimal("0.30"), 2), (2, "old@example.com", Decimal("100.00"), 2)],
            schema={name: EXPECTED_SCHEMA[name] for name in columns},
            orient="row",
        ),
    )


def test_configured_rules_apply_to_the_totals():
    """The same rules module decides what counts: an order under the minimum is left out of the total."""
    frame = orders({**at(1), "current_total": Decimal("9.99")}, {**at(2), "current_total": Decimal("10.00")})
    result = customer_aggregates(frame, RulesConfig(min_order_total=Decimal("10")))
    assert result.select("total_spent", "order_count", "first_order_date").row(0) == (
        Decimal("10.00"),
        1,
        date(2026, 3, 2),
    )


def test_mapped_properties_come_from_the_latest_qualifying_order():
    """A mapping reads the latest qualifying order's field, in the configured type; tags join with ';'."""
    frame = orders(
        {**at(1), "source_name": "pos", "order_tags": ("vip", "gift")},
        {**at(2), "source_name": "web", "order_tags": (), "test": True},
    )
    mappings = (
        MappingConfig(source="order.source_name", property="last_source"),
        MappingConfig(source="order.tags", property="last_tags"),
        MappingConfig(source="order.current_total", property="last_total", type="number"),
    )
    result = customer_aggregates(frame, RulesConfig(), mappings)
    assert_frame_equal(
        result.select("last_source", "last_tags", "last_total"),
        pl.DataFrame(
            {"last_source": ["pos"], "last_tags": ["vip;gift"], "last_total": [Decimal("50.00")]},
            schema={"last_source": pl.String, "last_tags": pl.String, "last_total": pl.Decimal(20, 2)},
        ),
    )


def test_no_orders_give_an_empty_typed_frame():
    """An empty input yields an empty frame that still has EXPECTED_SCHEMA."""
    assert_frame_equal(customer_aggregates(orders(), RulesConfig()), expected())


def test_seeded_store_matches_the_independent_oracle():
    """On the demo store's edge cases (refunds, cancels, tests, guests), webhook-parsed orders aggregate to
    exactly what the plain-Python oracle in sandbox/expected.py computes from the raw payloads."""
    store = generate_store()
    records = [OrderRecord.from_webhook(payload) for payload in store.orders]
    result = customer_aggregates(orders_frame(records), RulesConfig())
    oracle = sorted(dataclasses.astuple(customer) for customer in expected_customers(store.orders).values())
    assert result.rows() == oracle
    assert result.height > 10


def test_two_orders_at_the_same_instant_break_the_tie_by_order_id():
    """Orders processed at the same second: the one with the higher order id is the latest."""
    frame = orders(
        {**at(9), "order_id": 20, "name": "#1020", "current_total": Decimal("5.00")},
        {**at(9), "order_id": 10, "name": "#1010", "current_total": Decimal("7.00")},
    )
    result = customer_aggregates(frame, RulesConfig())
    assert result.select("last_order_number", "total_spent", "order_count").row(0) == (
        "#1020",
        Decimal("12.00"),
        2,
    )
