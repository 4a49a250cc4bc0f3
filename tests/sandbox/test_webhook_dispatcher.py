"""The sandbox delivers events to what the app subscribed, the way Shopify does, and to nothing else."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.shopify.app import create_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.dispatcher import Event, WebhookDispatcher
from sandbox.shopify.signing import verify
from sandbox.shopify.store import SandboxShop, ShopifyStore
from tests.sandbox.shopify_sandbox import GRAPHQL, TOKEN, make_customer, make_order

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "sandbox-client-secret"
RECEIVER = "https://receiver.test/webhooks/shopify"
OTHER = "https://other.test/webhooks/shopify"
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    userErrors { message }
  }
}"""


@dataclass
class Receivers:
    """Every webhook request any address got: (url, headers, body)."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def client(self) -> TestClient:
        async def handle(request: Request) -> Response:
            self.requests.append((str(request.url), dict(request.headers), await request.body()))
            return Response(status_code=200)

        app = Starlette(routes=[Route("/webhooks/shopify", handle, methods=["POST"])])
        return TestClient(app)

    def to(self, uri: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for url, headers, body in self.requests if url == uri]


@dataclass
class Shop:
    store: ShopifyStore
    api: TestClient
    webhooks: WebhookDispatcher
    receivers: Receivers

    def subscribe(self, topic: str, uri: str = RECEIVER) -> None:
        body = {"query": SUBSCRIBE, "variables": {"topic": topic, "uri": uri}}
        response = self.api.post(GRAPHQL, json=body)
        assert response.json()["data"]["webhookSubscriptionCreate"]["userErrors"] == []

    def settle(self) -> None:
        assert self.webhooks.wait_idle(10)


@pytest.fixture
def shop() -> Iterator[Shop]:
    customer = make_customer(1)
    store = ShopifyStore(SandboxShop(), [make_order(1, customer=customer)], [customer], [])
    receivers = Receivers()
    app = create_app(store, ShopifySandboxConfig(), webhook_http=receivers.client)
    with TestClient(app, base_url="http://shopify.sandbox", headers={"X-Shopify-Access-Token": TOKEN}) as api:
        yield Shop(store, api, app.state.sandbox.webhooks, receivers)
    app.state.sandbox.webhooks.close()


def test_nothing_is_sent_without_a_subscription(shop: Shop) -> None:
    """An event on a shop with no subscription reaches no one."""
    order = shop.store.orders()[0]
    shop.webhooks.emit_for_order("orders/paid", order["id"])
    shop.settle()
    assert shop.receivers.requests == [] and shop.webhooks.deliveries() == []


def test_a_subscribed_topic_is_delivered_signed_with_the_client_secret(shop: Shop) -> None:
    """orders/paid goes to the subscribed address with Shopify's headers and the app's client-secret HMAC."""
    shop.subscribe("ORDERS_PAID")
    order = shop.store.orders()[0]
    shop.webhooks.emit_for_order("orders/paid", order["id"])
    shop.settle()

    ((headers, body),) = shop.receivers.to(RECEIVER)
    assert headers["x-shopify-topic"] == "orders/paid"
    assert headers["x-shopify-shop-domain"] == "shopsync-demo.myshopify.com"
    assert verify(body, headers["x-shopify-hmac-sha256"], [SECRET])
    assert json.loads(body)["id"] == order["id"]
    (delivery,) = shop.webhooks.deliveries()
    assert (delivery.uri, delivery.statuses, delivery.webhook_id) == (
        RECEIVER,
        (200,),
        headers["x-shopify-webhook-id"],
    )


def test_a_refund_in_the_shop_fires_only_the_subscribed_topics(shop: Shop) -> None:
    """A refund through the control emits refunds/create and orders/updated; only subscribed ones are sent."""
    shop.subscribe("REFUNDS_CREATE")
    order = shop.store.orders()[0]
    response = shop.api.post(f"/_sandbox/orders/{order['id']}/refund", json={"amount": "10.00"})
    assert response.status_code == 201
    shop.settle()
    ((headers, body),) = shop.receivers.to(RECEIVER)
    assert headers["x-shopify-topic"] == "refunds/create"
    assert json.loads(body)["order_id"] == order["id"]


def test_duplicates_share_a_webhook_id_and_dropped_events_are_only_logged(shop: Shop) -> None:
    """copies=3 sends one webhook id three times; a dropped event sends nothing."""
    shop.subscribe("ORDERS_PAID")
    order = shop.store.orders()[0]
    shop.webhooks.emit_for_order("orders/paid", order["id"], copies=3)
    shop.webhooks.emit_for_order("orders/paid", order["id"], dropped=True)
    shop.settle()
    ids = [headers["x-shopify-webhook-id"] for headers, _ in shop.receivers.to(RECEIVER)]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert [d.dropped for d in shop.webhooks.deliveries()] == [False, True]


def test_each_subscription_gets_its_own_webhook_id_under_one_event_id(shop: Shop) -> None:
    """Two subscriptions of a topic: two webhook ids (the dedup key), one shared event id."""
    shop.subscribe("ORDERS_PAID")
    shop.subscribe("ORDERS_PAID", OTHER)
    shop.webhooks.emit(Event("orders/paid", {"id": 1}))
    shop.settle()
    ((first, _),) = shop.receivers.to(RECEIVER)
    ((second, _),) = shop.receivers.to(OTHER)
    assert first["x-shopify-webhook-id"] != second["x-shopify-webhook-id"]
    assert first["x-shopify-event-id"] == second["x-shopify-event-id"]


def test_the_emit_control_fires_a_topic_and_refuses_unknown_orders(shop: Shop) -> None:
    """POST /_sandbox/webhooks/emit queues an order's event; an unknown order is a 422."""
    shop.subscribe("ORDERS_PAID")
    order = shop.store.orders()[0]
    queued = shop.api.post("/_sandbox/webhooks/emit", json={"topic": "orders/paid", "order_id": order["id"]})
    unknown = shop.api.post("/_sandbox/webhooks/emit", json={"topic": "orders/paid", "order_id": 1})
    shop.settle()
    assert (queued.status_code, unknown.status_code) == (202, 422)
    state = shop.api.get("/_sandbox/state").json()
    assert [d["topic"] for d in state["webhook_deliveries"]] == ["orders/paid"]


def test_compliance_topics_go_signed_to_the_receiver_the_app_uses(shop: Shop) -> None:
    """customers/redact, customers/data_request and shop/redact need no subscription: they reach the app's
    receiver signed like any topic, naming the customer and every one of their orders."""
    shop.subscribe("ORDERS_PAID")
    order = shop.store.orders()[0]
    customer_id = order["customer"]["id"]
    for topic in ("customers/data_request", "customers/redact"):
        body = {"topic": topic, "customer_id": customer_id}
        assert shop.api.post("/_sandbox/webhooks/compliance", json=body).status_code == 202
    assert shop.api.post("/_sandbox/webhooks/compliance", json={"topic": "shop/redact"}).status_code == 202
    stranger = {"topic": "customers/redact", "customer_id": 5}
    unknown = shop.api.post("/_sandbox/webhooks/compliance", json=stranger)
    shop.settle()

    sent = {headers["x-shopify-topic"]: json.loads(body) for headers, body in shop.receivers.to(RECEIVER)}
    assert all(verify(body, h["x-shopify-hmac-sha256"], [SECRET]) for h, body in shop.receivers.to(RECEIVER))
    assert sent["customers/redact"]["customer"]["id"] == customer_id
    assert sent["customers/redact"]["orders_to_redact"] == [order["id"]]
    assert sent["customers/data_request"]["orders_requested"] == [order["id"]]
    assert sent["customers/data_request"]["data_request"]["id"] > 0
    assert set(sent["shop/redact"]) == {"shop_id", "shop_domain"}
    assert unknown.status_code == 422
