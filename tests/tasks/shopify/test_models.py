"""OrderRecord: one normalised order from REST-shaped webhooks and GraphQL nodes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tasks.errors import InvalidOrderPayload
from tasks.shopify.models import OrderRecord
from tests.tasks.shopify.fakes import (
    CUSTOMER_ID,
    ORDER_ID,
    PRODUCT_ID,
    graphql_order,
    reference_json,
    webhook_payload,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_webhook_payload_becomes_a_normalised_record() -> None:
    """Exact int64 ids, Decimal shop money, UTC times, lowercased email and tags, sorted distinct products."""
    record = OrderRecord.from_webhook(webhook_payload())

    assert record.order_id == ORDER_ID
    assert record.order_gid == f"gid://shopify/Order/{ORDER_ID}"
    assert record.customer_id == CUSTOMER_ID
    assert record.email == "jon.snow@example.com"
    assert record.current_total == Decimal("100.25")
    assert record.total_price == Decimal("120.50")
    assert record.currency == "USD"
    assert record.processed_at == datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
    assert record.updated_at == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert record.order_tags == ("vip", "wholesale")
    assert record.customer_tags == ("newsletter", "returning")
    assert record.product_ids == (7, PRODUCT_ID)
    assert record.product_types is None
    assert (record.cancelled, record.test, record.financial_status, record.source_name) == (
        False,
        False,
        "paid",
        "web",
    )


def test_webhook_business_date_is_the_shop_local_date() -> None:
    """23:30 in New York is already tomorrow in UTC; the business date stays the shop's calendar day."""
    late = OrderRecord.from_webhook(webhook_payload(processed_at="2026-02-28T23:30:00-05:00"))
    early = OrderRecord.from_webhook(webhook_payload(processed_at="2026-03-01T00:15:00-05:00"))

    assert (late.processed_at.date(), late.processed_date) == (date(2026, 3, 1), date(2026, 2, 28))
    assert (early.processed_at.date(), early.processed_date) == (date(2026, 3, 1), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("customer", "email", "contact_email", "expected"),
    [
        ({"id": 5, "email": "C@X.io"}, "order@x.io", "contact@x.io", "c@x.io"),
        ({"id": 5, "email": "  "}, " Order@X.io ", "contact@x.io", "order@x.io"),
        (None, "", "Contact@X.io", "contact@x.io"),
        (None, None, "", None),
    ],
)
def test_webhook_email_falls_back_from_customer_to_order_to_contact(
    customer: dict[str, Any] | None, email: str | None, contact_email: str | None, expected: str | None
) -> None:
    """Email is customer.email, else email, else contact_email; blanks are skipped and "" becomes None."""
    payload = webhook_payload(customer=customer, email=email, contact_email=contact_email)
    record = OrderRecord.from_webhook(payload)
    assert record.email == expected
    assert record.customer_id == (5 if customer else None)


def test_reference_orders_paid_sample_keeps_the_sent_id(reference_dir: Path) -> None:
    """Shopify's sample (id mangled by a float parser) parses; order_id is `id` and gid follows."""
    payload = reference_json(reference_dir, "webhook_orders_paid_2026-04.metadata.json")["response"]
    record = OrderRecord.from_webhook(payload)

    assert record.order_id == payload["id"] == 820982911946154500
    assert record.order_gid == "gid://shopify/Order/820982911946154500"
    assert record.email == "john@example.com"
    assert record.current_total == Decimal("414.95")
    assert record.total_price == Decimal("404.95")
    assert record.test is True
    assert record.cancelled is True
    assert record.financial_status == "voided"
    assert record.order_tags == ("tag1", "tag2")
    assert record.processed_date == date(2021, 12, 31)
    assert record.processed_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)


def test_money_sent_as_a_json_number_keeps_its_digits() -> None:
    """A stray JSON number amount converts through str, so 0.1 is Decimal('0.1'), not float noise."""
    payload = webhook_payload(
        current_total_price_set={"shop_money": {"amount": 0.1, "currency_code": "USD"}},
    )
    assert OrderRecord.from_webhook(payload).current_total == Decimal("0.1")


def test_payload_without_price_sets_uses_the_plain_amounts() -> None:
    """Older payloads without *_set objects read the shop-currency strings instead."""
    payload = webhook_payload()
    del payload["current_total_price_set"], payload["total_price_set"]
    record = OrderRecord.from_webhook(payload)
    assert (record.current_total, record.total_price, record.currency) == (
        Decimal("100.25"),
        Decimal("120.50"),
        "USD",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": None}, "missing id"),
        ({"id": 8.209829119461545e17}, "id must be an integer id, got float"),
        ({"id": "abc"}, "id must be an integer id"),
        ({"processed_at": None}, "missing processed_at"),
        ({"processed_at": "yesterday"}, "processed_at is not an ISO 8601 timestamp: 'yesterday'"),
        ({"updated_at": "2026-03-01T10:00:00"}, "updated_at has no UTC offset"),
        ({"cancelled_at": 17}, "cancelled_at must be an ISO 8601 timestamp string"),
        (
            {"current_total_price_set": {"shop_money": {"amount": "12,50", "currency_code": "USD"}}},
            "current_total_price_set.shop_money.amount is not a decimal number: '12,50'",
        ),
        (
            {"total_price_set": {"shop_money": {"amount": "NaN", "currency_code": "USD"}}},
            "total_price_set.shop_money.amount is not a finite amount",
        ),
        ({"customer": {"id": 1.5}}, "customer.id must be an integer id"),
        ({"customer": "jon"}, "customer must be an object or null"),
        (
            {"line_items": [{"quantity": 1, "product_id": "x"}]},
            r"line_items\[0\].product_id must be an integer id",
        ),
        ({"tags": 5}, "tags must be a comma-separated string or a list"),
        ({"test": "yes"}, "test must be true or false"),
        ({"name": None}, "missing name"),
    ],
)
def test_malformed_webhook_payload_names_the_bad_field(overrides: dict[str, Any], message: str) -> None:
    """A payload lacking a needed field or carrying a malformed value raises InvalidOrderPayload naming it."""
    with pytest.raises(InvalidOrderPayload, match=message):
        OrderRecord.from_webhook(webhook_payload(**overrides))


def test_graphql_node_becomes_the_same_record_shape() -> None:
    """A GraphQL node gives ids from legacyResourceId, shop money, UTC times and aligned product types."""
    record = OrderRecord.from_graphql(graphql_order(), NEW_YORK)

    assert record.order_id == ORDER_ID
    assert record.order_gid == f"gid://shopify/Order/{ORDER_ID}"
    assert record.customer_id == CUSTOMER_ID
    assert record.email == "ada@example.com"
    assert (record.current_total, record.total_price) == (Decimal("80.10"), Decimal("100.10"))
    assert record.financial_status == "partially_refunded"
    assert record.order_tags == ("gift", "rush")
    assert record.customer_tags == ("vip",)
    assert record.product_ids == (7, PRODUCT_ID)
    assert record.product_types == ("", "Shirts")
    assert record.source_name == "pos"


def test_graphql_business_date_converts_utc_to_the_shop_timezone() -> None:
    """04:30 UTC on 1 March is 23:30 on 28 February in New York; midnight local is the day boundary."""
    before_midnight = OrderRecord.from_graphql(graphql_order(processedAt="2026-03-01T04:59:59Z"), NEW_YORK)
    at_midnight = OrderRecord.from_graphql(graphql_order(processedAt="2026-03-01T05:00:00Z"), NEW_YORK)

    assert before_midnight.processed_date == date(2026, 2, 28)
    assert at_midnight.processed_date == date(2026, 3, 1)
    assert OrderRecord.from_graphql(graphql_order(), ZoneInfo("UTC")).processed_date == date(2026, 3, 1)


def test_graphql_node_without_customer_or_legacy_ids() -> None:
    """Bulk nodes carry only gids: ids come from the gid; no customer means no customer id or tags."""
    node = graphql_order(customer=None, email=None)
    del node["legacyResourceId"]
    record = OrderRecord.from_graphql(node, NEW_YORK)
    assert (record.order_id, record.customer_id, record.email, record.customer_tags) == (
        ORDER_ID,
        None,
        None,
        (),
    )


def test_graphql_null_financial_status_is_unknown() -> None:
    """A null displayFinancialStatus becomes "unknown" instead of failing the whole read."""
    record = OrderRecord.from_graphql(graphql_order(displayFinancialStatus=None), NEW_YORK)
    assert record.financial_status == "unknown"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "gid://shopify/Customer/1"}, "id must be a gid://shopify/Order/<id> global id"),
        ({"legacyResourceId": "1"}, "legacyResourceId 1 disagrees with id"),
        ({"processedAt": "not a date"}, "processedAt is not an ISO 8601 timestamp"),
        ({"currentTotalPriceSet": None}, "missing currentTotalPriceSet.shopMoney.amount"),
        (
            {"totalPriceSet": {"shopMoney": {"amount": True, "currencyCode": "USD"}}},
            "totalPriceSet.shopMoney.amount must be a decimal string",
        ),
        ({"lineItems": {"nodes": [{"quantity": 1, "product": {"id": None}}]}}, r"missing id"),
        ({"lineItems": {"nodes": "x"}}, "lineItems.nodes must be a list"),
    ],
)
def test_malformed_graphql_node_names_the_bad_field(overrides: dict[str, Any], message: str) -> None:
    """A malformed GraphQL node raises InvalidOrderPayload naming the field."""
    with pytest.raises(InvalidOrderPayload, match=message):
        OrderRecord.from_graphql(graphql_order(**overrides), NEW_YORK)


def _as_shop_money(node: dict[str, Any]) -> dict[str, Any]:
    """The sample selects presentment money only; in a USD shop presenting USD the amounts are the same."""
    first_transaction = node["transactions"][0]
    return {
        **node,
        "processedAt": first_transaction["processedAt"],
        "displayFinancialStatus": "PARTIALLY_REFUNDED",
        "currentTotalPriceSet": {"shopMoney": node["currentTotalPriceSet"]["presentmentMoney"]},
        "totalPriceSet": {"shopMoney": node["originalTotalPriceSet"]["presentmentMoney"]},
    }


def test_refunded_sample_current_total_is_net_of_refunds(reference_dir: Path) -> None:
    """For refunded dev-store orders, current_total is net of the refunds and total_price the original."""
    samples = reference_json(reference_dir, "graphql_orders_with_refunds_sample.json")
    records = [OrderRecord.from_graphql(_as_shop_money(node), NEW_YORK) for node in samples]

    first = records[0]
    assert first.order_id == 6364127953060
    assert first.customer_id == 6911550881956
    assert (first.current_total, first.total_price) == (Decimal("144.49"), Decimal("336.09"))
    refunded = sum(
        Decimal(t["amountSet"]["shopMoney"]["amount"])
        for t in samples[0]["transactions"]
        if t["kind"] == "REFUND"
    )
    assert first.total_price - first.current_total == refunded
    assert all(record.current_total <= record.total_price for record in records)


def test_sample_with_presentment_money_only_is_rejected(reference_dir: Path) -> None:
    """A node without shop money fails loudly instead of silently using the buyer's currency."""
    node = reference_json(reference_dir, "graphql_orders_with_refunds_sample.json")[0]
    node = {**node, "processedAt": "2024-09-30T07:26:20Z", "totalPriceSet": node["originalTotalPriceSet"]}
    with pytest.raises(InvalidOrderPayload, match="missing currentTotalPriceSet.shopMoney.amount"):
        OrderRecord.from_graphql(node, NEW_YORK)


def test_with_product_types_lines_up_with_product_ids() -> None:
    """Resolved types sit at the position of their product id; a product Shopify no longer has gets ""."""
    record = OrderRecord.from_webhook(webhook_payload())
    resolved = record.with_product_types({PRODUCT_ID: "Shirts"})
    assert resolved.product_types == ("", "Shirts")
    assert record.product_types is None
