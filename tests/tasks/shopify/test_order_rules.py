"""Signed is not the same as sane: an order whose values are impossible is refused, naming the field.

Each case breaks exactly one value of an otherwise valid payload, in the dialect it arrives in (webhook or
GraphQL), and the refusal must say which field and why: that reason is what an operator reads in the inbox
and in the drift report.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from graphql import GraphQLEnumType

from sandbox.shopify.schema import load_schema
from tasks.errors import InvalidOrderPayload
from tasks.shopify.models import OrderRecord
from tasks.shopify.order_rules import ALREADY_CHECKED, CURRENCY_CODES, FINANCIAL_STATUSES
from tests.tasks.shopify.fakes import graphql_order, webhook_payload

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Edit:
    """An edit that puts `value` at a dotted path (`line_items.0.quantity` indexes lists)."""

    def edit(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = payload
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


WEBHOOK_CASES = {
    "negative current total": (
        _set("current_total_price_set.shop_money.amount", "-5.00"),
        "current_total_price_set.shop_money.amount: must be a non-negative decimal, got '-5.00'",
    ),
    "negative total price": (
        _set("total_price_set.shop_money.amount", "-0.01"),
        "total_price_set.shop_money.amount: must be a non-negative decimal, got '-0.01'",
    ),
    "negative amount without a price set": (
        lambda p: (p.pop("current_total_price_set"), p.update(current_total_price="-3")),
        "current_total_price: must be a non-negative decimal, got '-3'",
    ),
    "unknown currency": (
        _set("current_total_price_set.shop_money.currency_code", "ZZZ"),
        "current_total_price_set.shop_money.currency_code: must be an ISO 4217 code",
    ),
    "processed_at without offset": (
        _set("processed_at", "2026-04-01T10:00:00"),
        "processed_at has no UTC offset",
    ),
    "updated_at that is no date": (
        _set("updated_at", "yesterday"),
        "updated_at is not an ISO 8601 timestamp",
    ),
    "zero order id": (_set("id", 0), "id is out of the int64 id range: 0"),
    "negative customer id": (_set("customer.id", -7), "customer.id is out of the int64 id range: -7"),
    "customer id past int64": (_set("customer.id", 2**63), "customer.id is out of the int64 id range"),
    "product id past int64": (_set("line_items.0.product_id", 2**64), "line_items[0].product_id is out of"),
    "unknown financial status": (
        _set("financial_status", "stolen"),
        "financial_status: must be one of authorized, expired, paid,",
    ),
    "zero quantity": (
        _set("line_items.1.quantity", 0),
        "line_items[1].quantity: must be a whole number from 1 to 100,000, got 0",
    ),
    "absurd quantity": (
        _set("line_items.2.quantity", 10**12),
        "line_items[2].quantity: must be a whole number from 1 to 100,000, got 1000000000000",
    ),
    "fractional quantity": (_set("line_items.0.quantity", 1.5), "line_items[0].quantity: "),
    "quantity as text": (_set("line_items.0.quantity", "3"), "line_items[0].quantity: "),
    "negative line price": (
        _set("line_items.3.price", "-20.25"),
        "line_items[3].price: must be a non-negative decimal, got '-20.25'",
    ),
}


@pytest.mark.parametrize("case", WEBHOOK_CASES)
def test_an_impossible_webhook_value_is_refused_naming_its_field(case: str) -> None:
    """One impossible value in a webhook payload → InvalidOrderPayload that names that field."""
    edit, reason = WEBHOOK_CASES[case]
    payload = webhook_payload()
    edit(payload)

    with pytest.raises(InvalidOrderPayload) as refused:
        OrderRecord.from_webhook(payload)

    assert str(refused.value).startswith(reason), str(refused.value)


GRAPHQL_CASES = {
    "negative current total": (
        _set("currentTotalPriceSet.shopMoney.amount", "-5.00"),
        "currentTotalPriceSet.shopMoney.amount: must be a non-negative decimal, got '-5.00'",
    ),
    "negative total price": (
        _set("totalPriceSet.shopMoney.amount", "-1"),
        "totalPriceSet.shopMoney.amount: must be a non-negative decimal, got '-1'",
    ),
    "unknown currency": (
        _set("currentTotalPriceSet.shopMoney.currencyCode", "BTC"),
        "currentTotalPriceSet.shopMoney.currencyCode: must be an ISO 4217 code",
    ),
    "unknown financial status": (
        _set("displayFinancialStatus", "CHARGED_BACK"),
        "displayFinancialStatus: must be one of",
    ),
    "processedAt without offset": (
        _set("processedAt", "2026-03-01T04:30:00"),
        "processedAt has no UTC offset",
    ),
    "zero legacy id": (_set("legacyResourceId", "0"), "legacyResourceId is out of the int64 id range"),
    "absurd quantity": (
        _set("lineItems.nodes.0.quantity", 100_001),
        "lineItems.nodes[0].quantity: must be a whole number from 1 to 100,000, got 100001",
    ),
    "negative quantity": (_set("lineItems.nodes.2.quantity", -1), "lineItems.nodes[2].quantity: must be"),
}


@pytest.mark.parametrize("case", GRAPHQL_CASES)
def test_an_impossible_graphql_value_is_refused_naming_its_field(case: str) -> None:
    """The same rules hold for orders read through GraphQL (pages, nodes, bulk JSONL)."""
    edit, reason = GRAPHQL_CASES[case]
    node = graphql_order()
    edit(node)

    with pytest.raises(InvalidOrderPayload) as refused:
        OrderRecord.from_graphql(node, ZoneInfo("America/New_York"))

    assert str(refused.value).startswith(reason), str(refused.value)


@pytest.mark.parametrize("status", sorted(FINANCIAL_STATUSES))
def test_every_shopify_financial_status_is_accepted_in_both_dialects(status: str) -> None:
    """Each of Shopify's eight statuses is sane, lowercase from webhooks and uppercase from GraphQL."""
    webhook = OrderRecord.from_webhook(webhook_payload(financial_status=status))
    node = OrderRecord.from_graphql(graphql_order(displayFinancialStatus=status.upper()), ZoneInfo("UTC"))

    assert webhook.financial_status == node.financial_status == status


def test_a_null_financial_status_still_counts_as_unknown() -> None:
    """Shopify leaves some $0 orders without a status; they stay readable (and never qualify)."""
    record = OrderRecord.from_webhook(webhook_payload(financial_status=None))

    assert record.financial_status == "unknown"


def test_zero_money_and_the_largest_sane_quantity_are_accepted() -> None:
    """The edges of each rule are inside it: a free order and a line of 100,000 units are fine."""
    payload = webhook_payload()
    _set("current_total_price_set.shop_money.amount", "0.00")(payload)
    _set("line_items.0.quantity", 100_000)(payload)

    record = OrderRecord.from_webhook(payload)

    assert str(record.current_total) == "0.00"


def test_the_currency_codes_are_those_of_the_admin_schema() -> None:
    """The known currencies are exactly the `CurrencyCode` enum of the 2026-04 schema the sandbox serves."""
    enum = load_schema().get_type("CurrencyCode")
    assert isinstance(enum, GraphQLEnumType)

    assert set(enum.values) == CURRENCY_CODES


def test_the_financial_statuses_are_those_of_the_admin_schema() -> None:
    """Webhook statuses are the lowercased `OrderDisplayFinancialStatus` values."""
    enum = load_schema().get_type("OrderDisplayFinancialStatus")
    assert isinstance(enum, GraphQLEnumType)

    assert {value.lower() for value in enum.values} == FINANCIAL_STATUSES


def test_a_record_already_in_the_ledger_loads_even_if_a_rule_now_refuses_it() -> None:
    """Rows stored before a rule existed must still load; only new payloads are judged."""
    stored = OrderRecord.from_webhook(webhook_payload()).model_dump()
    stored_before_the_rule = copy.deepcopy(stored) | {"currency": "ZZZ"}

    loaded = OrderRecord.model_validate(stored_before_the_rule, context=ALREADY_CHECKED)

    assert loaded.currency == "ZZZ"
    with pytest.raises(ValueError, match="currency"):
        OrderRecord.model_validate(stored_before_the_rule)
