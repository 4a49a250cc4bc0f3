"""ShopifyClient over MockTransport: pagination, throttling, retries, refusals and malformed replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError
from tasks.shopify import operations
from tasks.shopify.auth import ShopifyAuth
from tasks.shopify.client import ShopifyClient
from tests.tasks.shopify.fakes import (
    GRAPHQL_URL,
    FakeClock,
    ScriptedShopify,
    cost,
    data_reply,
    graphql_order,
    make_client,
    orders_page,
    reference_json,
)


def test_order_pages_follow_the_cursor_until_the_last_page() -> None:
    """Three pages come back in order; each request after the first carries the previous endCursor."""
    server = ScriptedShopify(
        [
            orders_page([graphql_order(1), graphql_order(2)], "c1", has_next=True),
            orders_page([graphql_order(3)], "c2", has_next=True),
            orders_page([graphql_order(4)], "c3", has_next=False),
        ]
    )
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)

    pages = list(make_client(server).iter_order_pages(since, until, page_size=2))

    assert [[record.order_id for record in page] for page in pages] == [[1, 2], [3], [4]]
    assert [v["after"] for v in server.variables()] == [None, "c1", "c2"]
    expected_filter = "updated_at:>='2026-11-01T00:00:00Z' AND updated_at:<'2026-11-02T00:00:00Z'"
    assert all(v["query"] == expected_filter and v["first"] == 2 for v in server.variables())
    assert all("sortKey: UPDATED_AT" in query for query in server.queries())


def test_page_without_end_cursor_fails_instead_of_looping() -> None:
    """hasNextPage with a null endCursor is a malformed page, not an endless loop over page one."""
    server = ScriptedShopify([orders_page([graphql_order(1)], None, has_next=True)])
    with pytest.raises(ShopifyFetchFailed, match="hasNextPage but has no endCursor"):
        list(make_client(server).iter_order_pages(None, None))


@pytest.mark.parametrize(
    "data",
    [
        {"orders": None},
        {"orders": {"nodes": []}},
        {"orders": {"pageInfo": {"hasNextPage": "x"}, "nodes": []}},
    ],
)
def test_malformed_orders_page_raises_fetch_failed(data: dict[str, object]) -> None:
    """A page without a usable pageInfo/nodes shape raises ShopifyFetchFailed that says where."""
    server = ScriptedShopify([data_reply(data)])
    with pytest.raises(ShopifyFetchFailed, match="malformed orders"):
        list(make_client(server).iter_order_pages(None, None))


def test_throttled_reply_waits_the_cost_deficit_then_succeeds(reference_dir: Path) -> None:
    """THROTTLED (HTTP 200) waits (requested - available) / restoreRate, then the retry succeeds."""
    throttled = reference_json(reference_dir, "graphql_response_examples.json")["throttled_with_code"][
        "response"
    ]
    server = ScriptedShopify(
        [httpx.Response(200, json=throttled), orders_page([graphql_order(1)], None, has_next=False)]
    )
    clock = FakeClock()

    pages = list(make_client(server, clock).iter_order_pages(None, None))

    assert [record.order_id for record in pages[0]] == [1]
    assert clock.sleeps == [pytest.approx((70 - 66) / 50)]
    assert len(server.requests) == 2


def test_legacy_throttled_reply_without_code_is_retried(reference_dir: Path) -> None:
    """An older throttled reply with only message "Throttled" is recognised too."""
    examples = reference_json(reference_dir, "graphql_response_examples.json")
    throttled = examples["throttled_legacy_no_code"]["response"]
    server = ScriptedShopify([httpx.Response(200, json=throttled), data_reply({"nodes": []})])
    clock = FakeClock()

    assert make_client(server, clock).product_types([1]) == {}
    assert clock.sleeps == [pytest.approx((202 - 118) / 50)]


def test_http_429_and_5xx_are_retried() -> None:
    """429 (honouring Retry-After) and 503 are retried; the third attempt's data is returned."""
    server = ScriptedShopify(
        [
            httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": "Exceeded 2 calls per second"}),
            httpx.Response(503, text="<html>Service unavailable</html>"),
            data_reply({"nodes": [{"id": "gid://shopify/Product/5", "productType": "Mugs"}]}),
        ]
    )
    clock = FakeClock()

    assert make_client(server, clock).product_types([5]) == {5: "Mugs"}
    assert clock.sleeps[0] == 2.0
    assert len(clock.sleeps) == 2


def test_persistent_5xx_gives_up_after_the_policy_attempts() -> None:
    """When every attempt fails, the last RetryableError surfaces after exactly `attempts` requests."""
    server = ScriptedShopify([httpx.Response(502) for _ in range(3)])
    with pytest.raises(RetryableError, match="HTTP 502"):
        make_client(server, attempts=3).product_types([1])
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refusal_fails_fast_with_shopifys_message(status: int) -> None:
    """401/403 are not retried; the error carries Shopify's own message."""
    message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
    server = ScriptedShopify([httpx.Response(status, json={"errors": message})])
    with pytest.raises(ShopifyFetchFailed, match=rf"HTTP {status}.*Invalid API key"):
        make_client(server).product_types([1])
    assert len(server.requests) == 1


def test_internal_error_inside_a_200_reply_is_retried() -> None:
    """A 200 carrying errors[].extensions.code INTERNAL_SERVER_ERROR is transient and retried with backoff."""
    error = {"message": "Internal error. Looks like something went wrong on our end.",
             "extensions": {"code": "INTERNAL_SERVER_ERROR"}}  # fmt: skip
    server = ScriptedShopify([httpx.Response(200, json={"errors": [error]}), data_reply({"nodes": []})])
    clock = FakeClock()

    assert make_client(server, clock).product_types([1]) == {}
    assert len(server.requests) == 2 and len(clock.sleeps) == 1


def test_graphql_errors_fail_with_their_messages() -> None:
    """Non-throttle GraphQL errors (e.g. MAX_COST_EXCEEDED) fail at once with Shopify's message."""
    error = {"message": "Query cost is 52252, which exceeds the single query max cost limit (1000).",
             "extensions": {"code": "MAX_COST_EXCEEDED"}}  # fmt: skip
    server = ScriptedShopify([httpx.Response(200, json={"errors": [error]})])
    with pytest.raises(ShopifyFetchFailed, match="exceeds the single query max cost"):
        make_client(server).product_types([1])
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={}),
    ],
)
def test_reply_that_is_not_a_graphql_object_fails(response: httpx.Response) -> None:
    """A 200 whose body is not JSON, not an object, or has no data raises ShopifyFetchFailed."""
    with pytest.raises(ShopifyFetchFailed, match="Shopify reply"):
        make_client(ScriptedShopify([response])).product_types([1])


def test_pacing_sleeps_the_deficit_before_a_query_the_bucket_cannot_pay() -> None:
    """After a reply showing 100 points left, the next 500-point query first waits (500+1-100)/100 s.

    The one-point headroom keeps a query paced to land exactly on its cost from being throttled by rounding.
    """
    server = ScriptedShopify(
        [
            data_reply({"nodes": []}, cost(requested=500, available=100)),
            data_reply({"nodes": []}, cost(requested=500, available=1500)),
            data_reply({"nodes": []}, cost(requested=500, available=1000)),
        ]
    )
    clock = FakeClock()
    client = make_client(server, clock)

    client.product_types([1])
    assert clock.sleeps == []
    client.product_types([2])
    assert clock.sleeps == [pytest.approx(4.01)]
    client.product_types([3])
    assert clock.sleeps == [pytest.approx(4.01)]


def test_pacing_counts_what_refilled_since_the_last_reply() -> None:
    """Time that passed since the last reply refills the bucket, so only the rest is slept."""
    server = ScriptedShopify(
        [data_reply({"nodes": []}, cost(requested=500, available=100)), data_reply({"nodes": []})]
    )
    clock = FakeClock()
    client = make_client(server, clock)
    client.product_types([1])
    clock.now += 3.0

    client.product_types([2])

    assert clock.sleeps == [pytest.approx(1.01)]


def test_product_types_go_in_chunks_of_250_and_skip_deleted_products() -> None:
    """600 ids take three nodes(ids:) requests of at most 250 gids; null nodes (deleted) are left out."""

    def answer(request: httpx.Request) -> httpx.Response:
        gids = json.loads(request.content)["variables"]["ids"]
        nodes = [None if gid.endswith("/13") else {"id": gid, "productType": "T" + gid[-1]} for gid in gids]
        return data_reply({"nodes": nodes})

    server = ScriptedShopify([answer, answer, answer])
    types = make_client(server).product_types(list(range(1, 601)) + [1])

    assert [len(v["ids"]) for v in server.variables()] == [250, 250, 100]
    assert server.variables()[0]["ids"][0] == "gid://shopify/Product/1"
    assert len(types) == 599 and 13 not in types
    assert types[42] == "T2"


def test_fetch_orders_by_ids_uses_nodes_in_cost_sized_chunks() -> None:
    """Orders by id are fetched MAX_ORDERS_PER_PAGE at a time; ids Shopify lacks are left out."""
    chunk = operations.MAX_ORDERS_PER_PAGE
    first = data_reply({"nodes": [graphql_order(i) for i in range(1, chunk + 1)]})
    second = data_reply({"nodes": [graphql_order(chunk + 1), None]})
    server = ScriptedShopify([first, second])

    records = make_client(server).fetch_orders_by_ids(list(range(1, chunk + 3)))

    assert [record.order_id for record in records] == list(range(1, chunk + 2))
    assert [len(v["ids"]) for v in server.variables()] == [chunk, 2]


def test_webhook_subscriptions_are_listed_across_pages_and_created() -> None:
    """Subscriptions are read page by page; creating one sends the enum topic and the uri."""
    subscription = {
        "id": "gid://shopify/WebhookSubscription/1",
        "topic": "ORDERS_PAID",
        "uri": "https://x/hook",
    }
    other = {**subscription, "id": "gid://shopify/WebhookSubscription/2", "topic": "ORDERS_UPDATED"}
    server = ScriptedShopify(
        [
            data_reply(
                {
                    "webhookSubscriptions": {
                        "pageInfo": {"hasNextPage": True, "endCursor": "a"},
                        "nodes": [subscription],
                    }
                }
            ),  # fmt: skip
            data_reply({"webhookSubscriptions": {"pageInfo": {"hasNextPage": False}, "nodes": [other]}}),
            data_reply(
                {"webhookSubscriptionCreate": {"webhookSubscription": subscription, "userErrors": []}}
            ),
        ]
    )
    client = make_client(server)

    assert [s.topic for s in client.app.webhook_subscriptions()] == ["ORDERS_PAID", "ORDERS_UPDATED"]
    created = client.app.create_webhook_subscription("orders/paid", "https://x/hook")

    assert created.uri == "https://x/hook"
    assert server.variables()[2] == {"topic": "ORDERS_PAID", "uri": "https://x/hook"}


def test_refused_webhook_subscription_raises_with_user_errors() -> None:
    """userErrors from webhookSubscriptionCreate become ShopifyFetchFailed with their messages."""
    refusal = {
        "webhookSubscription": None,
        "userErrors": [{"field": ["uri"], "message": "Address is invalid"}],
    }
    server = ScriptedShopify([data_reply({"webhookSubscriptionCreate": refusal})])
    with pytest.raises(ShopifyFetchFailed, match="Address is invalid"):
        make_client(server).app.create_webhook_subscription("ORDERS_PAID", "ftp://nope")


def test_auth_sets_the_access_token_header() -> None:
    """ShopifyAuth sends X-Shopify-Access-Token on every request."""
    server = ScriptedShopify([data_reply({"nodes": []})])
    http = httpx.Client(transport=httpx.MockTransport(server), auth=ShopifyAuth("test-token"))
    ShopifyClient(http, GRAPHQL_URL, shop_timezone="UTC").product_types([1])
    assert server.requests[0].headers["X-Shopify-Access-Token"] == "test-token"
    assert str(server.requests[0].url) == GRAPHQL_URL
