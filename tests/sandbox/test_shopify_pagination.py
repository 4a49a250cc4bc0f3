"""Cursor pagination, sort keys and `query:` filters of the sandbox `orders` connection."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.shopify_sandbox import (
    NOW,
    Sandbox,
    make_customer,
    make_order,
    make_sandbox,
    small_shop,
)

ORDERS = """query($first: Int, $after: String, $last: Int, $before: String, $query: String,
                  $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query,
         sortKey: $sortKey, reverse: $reverse) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { legacyResourceId } }
    nodes { id legacyResourceId updatedAt test customer { legacyResourceId } }
  }
}"""


@pytest.fixture(scope="module")
def shop():
    return make_sandbox(*small_shop(orders=7))


def _pages(sandbox: Sandbox, **variables: Any) -> list[dict[str, Any]]:
    pages, after = [], None
    while True:
        page = sandbox.data(ORDERS, {**variables, "after": after})["orders"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def test_three_pages_return_every_order_once_in_updated_at_order(shop) -> None:
    """Paging by UPDATED_AT with first=3 visits 7 orders over 3 pages, each once, oldest first."""
    pages = _pages(shop, first=3, sortKey="UPDATED_AT")
    nodes = [node for page in pages for node in page["nodes"]]
    assert [len(page["nodes"]) for page in pages] == [3, 3, 1]
    expected = sorted(shop.store.orders(), key=lambda o: o["updated_at"])
    assert [n["legacyResourceId"] for n in nodes] == [str(o["id"]) for o in expected]
    assert [n["updatedAt"] for n in nodes] == sorted(n["updatedAt"] for n in nodes)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]


def test_edges_carry_the_same_cursors_as_page_info(shop) -> None:
    """Edge cursors are opaque base64 strings; start/end cursors are the first and last edge's."""
    page = shop.data(ORDERS, {"first": 3, "sortKey": "ID"})["orders"]
    cursors = [edge["cursor"] for edge in page["edges"]]
    assert page["pageInfo"]["startCursor"] == cursors[0]
    assert page["pageInfo"]["endCursor"] == cursors[-1]
    decoded = json.loads(base64.b64decode(cursors[0]))
    assert decoded["last_id"] == int(page["edges"][0]["node"]["legacyResourceId"])


def test_reverse_and_backward_paging_mirror_forward_paging(shop) -> None:
    """reverse=true returns newest first; last/before walks back to the page before a cursor."""
    forward = [n["legacyResourceId"] for n in _pages(shop, first=7, sortKey="ID")[0]["nodes"]]
    reverse = shop.data(ORDERS, {"first": 7, "sortKey": "ID", "reverse": True})["orders"]
    assert [n["legacyResourceId"] for n in reverse["nodes"]] == forward[::-1]
    second = shop.data(ORDERS, {"first": 3, "sortKey": "ID"})["orders"]["pageInfo"]["endCursor"]
    before = shop.data(ORDERS, {"last": 2, "before": second, "sortKey": "ID"})["orders"]
    assert [n["legacyResourceId"] for n in before["nodes"]] == forward[:2]
    assert before["pageInfo"]["hasPreviousPage"] is False


def test_int64_ids_above_2_pow_53_survive_exactly(shop) -> None:
    """Order ids beyond float precision come back digit for digit, in the gid and legacy id."""
    nodes = shop.data(ORDERS, {"first": 7, "sortKey": "ID"})["orders"]["nodes"]
    expected = sorted(o["id"] for o in shop.store.orders())
    assert expected[0] > 2**53
    assert [int(n["legacyResourceId"]) for n in nodes] == expected
    assert [n["id"] for n in nodes] == [f"gid://shopify/Order/{i}" for i in expected]


def test_updated_at_range_filter_keeps_only_orders_inside_it(shop) -> None:
    """updated_at:>= and :< with quoted ISO values select a half-open window."""
    start = (NOW - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = f"updated_at:>='{start}' AND updated_at:<'{end}'"
    nodes = shop.data(ORDERS, {"first": 10, "query": query})["orders"]["nodes"]
    # make_order(n) is updated n days before NOW: days 5, 4 and 3 fall inside.
    expected = {str(o["id"]) for o in shop.store.orders() if o["number"] in (3, 4, 5)}
    assert {n["legacyResourceId"] for n in nodes} == expected


def test_customer_id_and_test_filters_combine() -> None:
    """customer_id:<id> test:false keeps that customer's real orders and drops test orders."""
    buyer, other = make_customer(1), make_customer(2)
    orders = [
        make_order(1, customer=buyer),
        make_order(2, customer=buyer, test=True),
        make_order(3, customer=other),
        make_order(4, customer=None),
    ]
    sandbox = make_sandbox(orders, [buyer, other])
    query = f"customer_id:{buyer['id']} test:false"
    nodes = sandbox.data(ORDERS, {"first": 10, "query": query})["orders"]["nodes"]
    assert [n["legacyResourceId"] for n in nodes] == [str(orders[0]["id"])]
    everything = sandbox.data(ORDERS, {"first": 10, "query": "test:true"})["orders"]["nodes"]
    assert [n["test"] for n in everything] == [True]


def test_unknown_filters_are_ignored_like_shopify(shop) -> None:
    """A filter on a field Shopify does not know returns the unfiltered list, not an error."""
    nodes = shop.data(ORDERS, {"first": 10, "query": "no_such_field:42"})["orders"]["nodes"]
    assert len(nodes) == 7


def test_financial_and_status_filters_follow_refunds_and_cancellations() -> None:
    """financial_status and status:cancelled reflect refunds and cancellations made in the shop."""
    orders = [make_order(i) for i in range(1, 4)]
    sandbox = make_sandbox(orders)
    sandbox.store.refund_order(orders[0]["id"], Decimal("10.00"), NOW)
    sandbox.store.cancel_order(orders[1]["id"], NOW)
    refunded = sandbox.data(ORDERS, {"first": 5, "query": "financial_status:partially_refunded"})
    cancelled = sandbox.data(ORDERS, {"first": 5, "query": "status:cancelled"})
    still_open = sandbox.data(ORDERS, {"first": 5, "query": "status:open"})

    def ids(body: dict[str, Any]) -> list[str]:
        return [n["legacyResourceId"] for n in body["orders"]["nodes"]]

    assert ids(refunded) == [str(orders[0]["id"])]
    assert ids(cancelled) == [str(orders[1]["id"])]
    assert sorted(ids(still_open)) == sorted(str(o["id"]) for o in (orders[0], orders[2]))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 251}, "first cannot exceed 250."),
        ({}, "you must provide one of first or last"),
        ({"last": 5}, "using last without before is not supported"),
        ({"first": 5, "after": "bm90IGEgY3Vyc29y"}, "Invalid cursor"),
    ],
)
def test_page_arguments_are_checked_like_shopify(shop, variables, message) -> None:
    """Oversized pages, missing sizes, last without before and foreign cursors are errors."""
    body = shop.graphql(ORDERS, variables)
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith(message)
    assert body["errors"][0]["path"] == ["orders"]
