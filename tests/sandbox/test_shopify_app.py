"""HTTP surface of the sandbox Shopify app: auth, versions, lookups, drift controls and faults."""

from __future__ import annotations

import copy

from sandbox.seed import generate_store
from sandbox.shopify.store import ShopifyStore
from tests.sandbox.shopify_sandbox import (
    GRAPHQL,
    NOW,
    Sandbox,
    make_customer,
    make_order,
    make_sandbox,
    small_shop,
)

ORDER = """query($id: ID!) { order(id: $id) {
  id updatedAt displayFinancialStatus cancelledAt
  currentTotalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  refunds { id totalRefundedSet { shopMoney { amount } } }
} }"""
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}"""
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


def _sandbox() -> Sandbox:
    return make_sandbox(*small_shop(orders=3))


def test_missing_or_wrong_token_gets_401_with_shopify_body() -> None:
    """Without the access token, or with a wrong one, the API answers 401 and Shopify's message."""
    sandbox = _sandbox()
    query = {"query": "{ shop { name } }"}
    for headers in ({"X-Shopify-Access-Token": ""}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        response = sandbox.client.post(GRAPHQL, json=query, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"errors": INVALID_TOKEN}


def test_versions_are_served_forwarded_or_404() -> None:
    """The pinned version is served; a retired one falls forward (header says so); junk is 404."""
    sandbox = _sandbox()
    query = {"query": "{ shop { name } }"}
    current = sandbox.client.post(GRAPHQL, json=query)
    retired = sandbox.client.post("/admin/api/2024-01/graphql.json", json=query)
    unknown = sandbox.client.post("/admin/api/2099-02/graphql.json", json=query)
    assert current.headers["X-Shopify-API-Version"] == "2026-04"
    assert retired.status_code == 200 and retired.headers["X-Shopify-API-Version"] == "2026-04"
    assert (unknown.status_code, unknown.json()) == (404, {"errors": "Not Found"})


def test_node_lookups_return_null_for_unknown_ids_and_wrong_types() -> None:
    """nodes(ids:) returns null for unknown ids; order(id:) with a customer gid is null too."""
    sandbox = _sandbox()
    order, customer = sandbox.store.orders()[0], sandbox.store.customers()[0]
    data = sandbox.data(
        """query($ids: [ID!]!, $customer: ID!) {
          nodes(ids: $ids) { __typename id }
          order(id: $customer) { id }
          customer(id: $customer) { legacyResourceId email }
        }""",
        {
            "ids": [f"gid://shopify/Order/{order['id']}", "gid://shopify/Order/1", "not-a-gid"],
            "customer": f"gid://shopify/Customer/{customer['id']}",
        },
    )
    assert data["nodes"] == [{"__typename": "Order", "id": f"gid://shopify/Order/{order['id']}"}, None, None]
    assert data["order"] is None
    assert data["customer"] == {"legacyResourceId": str(customer["id"]), "email": customer["email"]}


def test_refund_and_cancel_over_http_change_what_graphql_reports() -> None:
    """Drift made through /_sandbox shows up in GraphQL: totals, status, refunds, updatedAt."""
    sandbox = _sandbox()
    order_id = sandbox.store.orders()[0]["id"]
    gid = f"gid://shopify/Order/{order_id}"
    refund = sandbox.client.post(f"/_sandbox/orders/{order_id}/refund", json={"amount": "40.00"})
    assert refund.status_code == 201
    cancel = sandbox.client.post(
        f"/_sandbox/orders/{order_id}/cancel", json={"at": "2026-11-27T08:30:00-05:00"}
    )
    assert cancel.status_code == 200
    order = sandbox.data(ORDER, {"id": gid})["order"]
    assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert order["currentTotalPriceSet"] == {
        "shopMoney": {"amount": "60.0", "currencyCode": "USD"},
        "presentmentMoney": {"amount": "60.0"},
    }
    assert order["totalRefundedSet"] == {"shopMoney": {"amount": "40.0"}}
    assert order["refunds"][0]["totalRefundedSet"] == {"shopMoney": {"amount": "40.0"}}
    assert order["cancelledAt"] == order["updatedAt"] == "2026-11-27T13:30:00Z"


def test_refund_beyond_the_current_total_is_refused() -> None:
    """A refund larger than what is left is 422 and changes nothing."""
    sandbox = _sandbox()
    order_id = sandbox.store.orders()[0]["id"]
    response = sandbox.client.post(f"/_sandbox/orders/{order_id}/refund", json={"amount": "100.01"})
    assert response.status_code == 422
    assert sandbox.store.orders()[0]["financial_status"] == "paid"
    missing = sandbox.client.post("/_sandbox/orders/1/refund", json={"amount": "1"})
    assert missing.status_code == 404


def test_upserted_order_is_visible_and_reset_restores_the_seed() -> None:
    """POST /_sandbox/orders adds or moves orders (and new customers); reset returns to the start."""
    sandbox = _sandbox()
    newcomer = make_customer(9, email="new@example.com")
    order = make_order(50, customer=newcomer)
    assert sandbox.client.post("/_sandbox/orders", json=order).status_code == 200
    query = f"customer_id:{newcomer['id']}"
    found = sandbox.data(
        "query($q: String) { orders(first: 5, query: $q) { nodes { legacyResourceId } } }", {"q": query}
    )
    assert found["orders"]["nodes"] == [{"legacyResourceId": str(order["id"])}]
    state = sandbox.client.get("/_sandbox/state").json()
    assert order["id"] in [o["id"] for o in state["orders"]]
    assert newcomer["id"] in [c["id"] for c in state["customers"]]
    moved = {**sandbox.store.orders()[0], "customer": newcomer}
    assert sandbox.client.post("/_sandbox/orders", json=moved).status_code == 200
    counts = sandbox.data(
        "query($id: ID!) { customer(id: $id) { numberOfOrders amountSpent { amount } } }",
        {"id": f"gid://shopify/Customer/{newcomer['id']}"},
    )
    assert counts["customer"] == {"numberOfOrders": "2", "amountSpent": {"amount": "200.0"}}
    assert sandbox.client.post("/_sandbox/reset").status_code == 200
    assert len(sandbox.client.get("/_sandbox/state").json()["orders"]) == 3


def test_webhook_subscription_create_lists_it_and_refuses_duplicates() -> None:
    """A created subscription is listed; the same topic and uri again is a userError."""
    sandbox = _sandbox()
    variables = {"topic": "ORDERS_PAID", "uri": "https://hooks.example.com/shopify"}
    created = sandbox.data(SUBSCRIBE, variables)["webhookSubscriptionCreate"]
    assert created["userErrors"] == []
    assert created["webhookSubscription"]["topic"] == "ORDERS_PAID"
    again = sandbox.data(SUBSCRIBE, variables)["webhookSubscriptionCreate"]
    assert again["webhookSubscription"] is None
    assert again["userErrors"][0]["message"] == "Address for this topic has already been taken"
    listed = sandbox.data("{ webhookSubscriptions(first: 5) { nodes { id uri } } }")
    assert listed["webhookSubscriptions"]["nodes"] == [
        {"id": created["webhookSubscription"]["id"], "uri": variables["uri"]}
    ]
    assert sandbox.store.webhook_subscriptions[0]["topic"] == "ORDERS_PAID"


def test_injected_faults_get_shopify_shaped_bodies_and_spare_sandbox_routes() -> None:
    """With a 100% 429 plan the API answers Shopify's 429 body; /_sandbox stays reachable."""
    sandbox = _sandbox()
    plan = {"error_rates": {"429": 1.0}}
    assert sandbox.client.put("/_sandbox/faults", json=plan).status_code == 200
    response = sandbox.client.post(GRAPHQL, json={"query": "{ shop { name } }"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.0"
    assert set(response.json()) == {"errors"} and isinstance(response.json()["errors"], str)
    assert sandbox.client.get("/_sandbox/state").status_code == 200


def test_store_from_seed_copies_the_generated_shop() -> None:
    """from_seed takes SeedData as generated, and changing the store leaves the seed intact."""
    seed = generate_store(seed=3, customers=5, orders=20, now=NOW)
    untouched = copy.deepcopy(seed.orders[0])
    store = ShopifyStore.from_seed(seed)
    assert store.shop.domain == seed.shop.domain
    assert [o["id"] for o in store.orders()] == [o["id"] for o in seed.orders]
    assert {c["id"] for c in seed.customers} <= {c["id"] for c in store.customers()}
    store.cancel_order(seed.orders[0]["id"], NOW)
    assert seed.orders[0] == untouched
    assert store.orders()[0]["cancelled_at"] == "2026-11-27T07:00:00-05:00"


def test_a_placed_order_is_a_new_paid_order_of_the_customer() -> None:
    """place_order repeats the customer's latest order with fresh ids and the next number, paid, at `at`."""
    seed = generate_store(seed=3, customers=5, orders=20, now=NOW)
    store = ShopifyStore.from_seed(seed)
    heard: list[str] = []
    store.listeners.append(lambda topic, payload: heard.append(topic))
    customer_id = next(o["customer"]["id"] for o in seed.orders if o["customer"] and not o["test"])
    before = {o["id"] for o in store.customer_orders(customer_id)}

    order = store.place_order(customer_id, NOW)

    assert order["id"] not in before and store.get_order(order["id"]) == order
    assert order["order_number"] == max(o["order_number"] for o in seed.orders) + 1
    assert order["name"] == f"#{order['order_number']}"
    assert (order["financial_status"], order["refunds"], order["cancelled_at"]) == ("paid", [], None)
    assert order["processed_at"] == order["updated_at"] == "2026-11-27T07:00:00-05:00"
    assert order["current_total_price"] == order["total_price"]
    assert heard == ["orders/create", "orders/paid"]
