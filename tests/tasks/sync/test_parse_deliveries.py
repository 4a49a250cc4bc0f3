"""Turning a batch of deliveries into orders: an impossible order fails its own delivery and no other."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tasks.errors import InvalidOrderPayload
from tasks.shopify.models import OrderRecord
from tasks.shopify.rejections import OnInvalid, RejectedOrder
from tasks.store.inbox import Delivery
from tasks.sync.steps import parse_deliveries
from tests.tasks.shopify.fakes import graphql_order, webhook_payload

RECEIVED = datetime(2026, 4, 1, tzinfo=UTC)


def _delivery(webhook_id: str, topic: str, payload: dict[str, object]) -> Delivery:
    return Delivery(webhook_id, topic, "shop.myshopify.com", RECEIVED, json.dumps(payload))


def test_an_impossible_webhook_order_fails_alone_with_its_field() -> None:
    """A negative total fails that delivery with the field named; its sibling parses."""
    spoiled = webhook_payload(id=11)
    spoiled["current_total_price_set"]["shop_money"]["amount"] = "-5.00"
    deliveries = [
        _delivery("bad", "orders/paid", spoiled),
        _delivery("good", "orders/paid", webhook_payload()),
    ]

    batch = parse_deliveries(deliveries, lambda ids, on_invalid: [])

    assert list(batch.orders) == ["good"]
    assert batch.invalid == {
        "bad": "invalid payload: current_total_price_set.shop_money.amount: "
        "must be a non-negative decimal, got '-5.00'"
    }


def test_a_refund_whose_reread_order_is_impossible_fails_alone() -> None:
    """refunds/create re-reads its order; an impossible one fails that delivery, not the batch."""
    good, bad = graphql_order(21), graphql_order(22, displayFinancialStatus="LOST")

    def refetch(ids: Sequence[int], on_invalid: OnInvalid) -> list[OrderRecord]:
        records = []
        for node in (good, bad):
            try:
                records.append(OrderRecord.from_graphql(node, ZoneInfo("UTC")))
            except InvalidOrderPayload as error:
                on_invalid(RejectedOrder.from_graphql(node, error))
        return records

    deliveries = [
        _delivery("refund-good", "refunds/create", {"order_id": 21}),
        _delivery("refund-bad", "refunds/create", {"order_id": 22}),
    ]

    batch = parse_deliveries(deliveries, refetch)

    assert list(batch.orders) == ["refund-good"]
    assert batch.invalid["refund-bad"].startswith(
        "invalid order 22 in Shopify: displayFinancialStatus: must be one of"
    )
