"""Calculated query cost and the leaky bucket, as Shopify reports them in `extensions.cost`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.shopify_sandbox import Sandbox, make_sandbox, reference_json, shape, small_shop

SEVEN_ORDERS = "{ orders(first: 7) { nodes { id customer { id } } } }"  # 2 + 7 x (1 + 1) = 16


def _sandbox(**config: Any) -> Sandbox:
    return make_sandbox(*small_shop(orders=7), **config)


@pytest.mark.parametrize(
    ("query", "requested"),
    [
        ("{ shop { name } }", 1),
        ("{ orders(first: 5) { nodes { id name } } }", 2 + 5 * 1),
        ("{ orders(first: 5) { edges { cursor node { id } } pageInfo { hasNextPage } } }", 2 + 5),
        (
            "{ orders(first: 5) { nodes { customer { id } totalPriceSet { shopMoney { amount } } } } }",
            2 + 5 * 4,
        ),
        ("{ orders(first: 2) { nodes { lineItems(first: 3) { nodes { id } } } } }", 2 + 2 * (1 + 2 + 3)),
        (
            'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") '
            "{ userErrors { message } } }",
            10,
        ),
    ],
)
def test_requested_cost_follows_shopify_rules(query: str, requested: int) -> None:
    """Objects cost 1, scalars 0, connections 2 + first x item cost, mutations a flat 10."""
    body = _sandbox().graphql(query)
    assert body["extensions"]["cost"]["requestedQueryCost"] == requested


def test_actual_cost_counts_returned_items_and_refunds_the_difference() -> None:
    """Asking for 50 customers but getting 3 costs 2 + 3; the bucket keeps the unused points."""
    sandbox = _sandbox()
    cost = sandbox.graphql("{ customers(first: 50) { nodes { id } } }")["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (52, 5)
    assert cost["throttleStatus"] == {
        "maximumAvailable": 2000.0,
        "currentlyAvailable": 1995,
        "restoreRate": 100.0,
    }


def test_exhausted_bucket_returns_the_throttled_body_shopify_sends() -> None:
    """Once a query costs more than is left, the reply is Shopify's THROTTLED body (HTTP 200)."""
    sandbox = _sandbox(maximum_available=40.0, restore_rate=10.0)
    for _ in range(2):
        assert "errors" not in sandbox.graphql(SEVEN_ORDERS)
    throttled = sandbox.graphql(SEVEN_ORDERS)
    reference = reference_json("graphql_response_examples.json")["throttled_with_code"]["response"]
    assert shape(throttled) == shape(reference)
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 16
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    assert throttled["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 40 - 2 * 16


def test_bucket_restores_at_restore_rate_over_time() -> None:
    """After waiting (cost - available) / restoreRate seconds the same query goes through."""
    sandbox = _sandbox(maximum_available=40.0, restore_rate=10.0)
    sandbox.graphql(SEVEN_ORDERS)
    sandbox.graphql(SEVEN_ORDERS)
    sandbox.clock.advance(0.7)  # 8 + 7 = 15 points: still one short
    assert sandbox.graphql(SEVEN_ORDERS)["errors"][0]["message"] == "Throttled"
    sandbox.clock.advance(0.1)
    body = sandbox.graphql(SEVEN_ORDERS)
    assert "errors" not in body
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
    sandbox.clock.advance(3600)
    assert (
        sandbox.graphql("{ shop { name } }")["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        == 40 - 1
    )


def test_query_above_max_cost_is_refused_without_spending_points() -> None:
    """A single query asking for more than 1,000 points gets MAX_COST_EXCEEDED and no data."""
    sandbox = _sandbox()
    query = "{ orders(first: 250) { nodes { lineItems(first: 50) { nodes { id } } } } }"
    body = sandbox.graphql(query)
    requested = 2 + 250 * (1 + 2 + 50)
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": requested,
        "maxCost": 1000,
    }
    assert body["errors"][0]["message"].startswith(
        f"Query cost is {requested}, which exceeds the single query max cost limit (1000)."
    )
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000
