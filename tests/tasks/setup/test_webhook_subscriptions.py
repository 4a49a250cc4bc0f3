"""`shopsync setup --receiver-url`: one subscription per topic at the receiver, however often it runs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from sandbox.shopify.app import create_app
from sandbox.shopify.store import SandboxShop, ShopifyStore
from tasks.errors import ConfigError
from tasks.setup.webhook_subscriptions import ensure_webhook_subscriptions
from tasks.shopify.auth import ShopifyAuth
from tasks.shopify.client import ShopifyClient
from tasks.shopify.topics import API_SUBSCRIBED_TOPICS

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

RECEIVER = "https://shopsync.example.com/webhooks/shopify"
OLD = "https://old-host.example.com/webhooks/shopify"
BASE_URL = "http://shopify.sandbox"


@pytest.fixture
def shopify() -> Iterator[tuple[ShopifyClient, ShopifyStore]]:
    store = ShopifyStore(SandboxShop())
    with TestClient(create_app(store), base_url=BASE_URL) as http:
        http.auth = ShopifyAuth("sandbox-shopify-token")
        yield ShopifyClient(http, f"{BASE_URL}/admin/api/2026-04/graphql.json", shop_timezone="UTC"), store


def _by_topic(store: ShopifyStore) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for subscription in store.webhook_subscriptions:
        found.setdefault(subscription["topic"], []).append(subscription["uri"])
    return found


def test_twice_leaves_exactly_one_subscription_per_topic(shopify: tuple[ShopifyClient, ShopifyStore]) -> None:
    """The first run creates one per consumed topic; the second finds them and changes nothing."""
    client, store = shopify
    first = ensure_webhook_subscriptions(client.app, RECEIVER)
    second = ensure_webhook_subscriptions(client.app, RECEIVER)

    assert [(r.topic, r.outcome) for r in first] == [(t, "created") for t in API_SUBSCRIBED_TOPICS]
    assert [r.outcome for r in second] == ["exists"] * len(API_SUBSCRIBED_TOPICS)
    assert _by_topic(store) == {
        "ORDERS_PAID": [RECEIVER],
        "ORDERS_UPDATED": [RECEIVER],
        "ORDERS_CANCELLED": [RECEIVER],
        "REFUNDS_CREATE": [RECEIVER],
    }


def test_a_subscription_pointing_elsewhere_is_moved_and_reported(
    shopify: tuple[ShopifyClient, ShopifyStore],
) -> None:
    """A subscription left on an old address is repointed in place, and the summary says where it was."""
    client, store = shopify
    old = client.app.create_webhook_subscription("orders/paid", OLD)

    results = ensure_webhook_subscriptions(client.app, RECEIVER)

    paid = results[0]
    assert (paid.outcome, paid.previous_uri) == ("updated", OLD)
    assert paid.describe() == f"orders/paid: updated (was {OLD})"
    assert _by_topic(store)["ORDERS_PAID"] == [RECEIVER]
    assert store.webhook_subscriptions[0]["id"] == old.id


def test_another_address_next_to_ours_is_reported_not_deleted(
    shopify: tuple[ShopifyClient, ShopifyStore],
) -> None:
    """When one subscription already points here, a second one elsewhere is named but left alone."""
    client, store = shopify
    client.app.create_webhook_subscription("orders/paid", RECEIVER)
    client.app.create_webhook_subscription("orders/paid", OLD)

    paid = ensure_webhook_subscriptions(client.app, RECEIVER)[0]

    assert paid.describe() == f"orders/paid: exists; also delivered to {OLD}"
    assert sorted(_by_topic(store)["ORDERS_PAID"]) == sorted([RECEIVER, OLD])


@pytest.mark.parametrize("url", ["shopsync.example.com/webhooks/shopify", "ftp://x/webhooks", " "])
def test_a_receiver_url_that_is_not_absolute_http_is_refused(
    shopify: tuple[ShopifyClient, ShopifyStore], url: str
) -> None:
    """Nothing is subscribed to an address Shopify could not deliver to."""
    client, store = shopify
    with pytest.raises(ConfigError, match="absolute https:// URL"):
        ensure_webhook_subscriptions(client.app, url)
    assert store.webhook_subscriptions == []
