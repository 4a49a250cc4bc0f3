"""Granted scopes and protected customer data in the sandbox: refused the way Shopify refuses them."""

from __future__ import annotations

from tests.sandbox.shopify_sandbox import Sandbox, make_sandbox, small_shop

ACCESS = "{ currentAppInstallation { accessScopes { handle } } }"
ORDERS = "{ orders(first: 1) { nodes { id } } }"
CUSTOMER_EMAILS = "{ customers(first: 2) { nodes { id defaultEmailAddress { emailAddress } } } }"


def _sandbox(**config: object) -> Sandbox:
    return make_sandbox(*small_shop(orders=2), **config)


def test_access_scopes_list_what_was_granted() -> None:
    """currentAppInstallation.accessScopes lists the granted handles."""
    sandbox = _sandbox(granted_scopes=("read_orders", "read_customers"))
    scopes = sandbox.data(ACCESS)["currentAppInstallation"]["accessScopes"]
    assert [scope["handle"] for scope in scopes] == ["read_orders", "read_customers"]


def test_a_missing_scope_denies_the_root_field_with_shopify_wording() -> None:
    """Without read_orders, `orders` is null with ACCESS_DENIED naming the scope; nodes(ids:) too."""
    sandbox = _sandbox(granted_scopes=("read_customers",))
    body = sandbox.graphql(ORDERS)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["message"] == "Access denied for orders field. Required access: `read_orders` access scope."
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["path"] == ["orders"]
    order_gid = f"gid://shopify/Order/{sandbox.store.orders()[0]['id']}"
    nodes = sandbox.graphql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [order_gid]})
    assert nodes["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


def test_without_protected_customer_data_emails_are_null_and_denied() -> None:
    """Each customer's email is null with its own ACCESS_DENIED error; the ids still read."""
    sandbox = _sandbox(protected_customer_data=False)
    body = sandbox.graphql(CUSTOMER_EMAILS)
    nodes = body["data"]["customers"]["nodes"]
    assert [node["defaultEmailAddress"] for node in nodes] == [None, None]
    assert all(node["id"].startswith("gid://shopify/Customer/") for node in nodes)
    assert [error["path"] for error in body["errors"]] == [
        ["customers", "nodes", 0, "defaultEmailAddress"],
        ["customers", "nodes", 1, "defaultEmailAddress"],
    ]
    assert body["errors"][0]["message"].startswith("This app is not approved to use the defaultEmailAddress")
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


def test_with_protected_customer_data_emails_read() -> None:
    """The default app has level-2 access: emails come back."""
    nodes = _sandbox().data(CUSTOMER_EMAILS)["customers"]["nodes"]
    assert all(node["defaultEmailAddress"]["emailAddress"] for node in nodes)


UPDATE = """mutation($id: ID!, $uri: String!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
CREATE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id }
    userErrors { message }
  }
}"""


def test_a_subscription_is_repointed_in_place() -> None:
    """webhookSubscriptionUpdate changes the address and keeps id and topic; unknown ids are userErrors."""
    sandbox = _sandbox()
    created = sandbox.data(CREATE, {"topic": "ORDERS_PAID", "uri": "https://old.example/hook"})
    subscription_id = created["webhookSubscriptionCreate"]["webhookSubscription"]["id"]

    updated = sandbox.data(UPDATE, {"id": subscription_id, "uri": "https://new.example/hook"})
    missing = sandbox.data(UPDATE, {"id": "gid://shopify/WebhookSubscription/1", "uri": "https://x.example"})

    assert updated["webhookSubscriptionUpdate"] == {
        "webhookSubscription": {
            "id": subscription_id,
            "topic": "ORDERS_PAID",
            "uri": "https://new.example/hook",
        },
        "userErrors": [],
    }
    assert missing["webhookSubscriptionUpdate"]["userErrors"][0]["message"] == (
        "Webhook subscription does not exist"
    )
    assert [s["uri"] for s in sandbox.store.webhook_subscriptions] == ["https://new.example/hook"]


def test_an_update_onto_a_taken_address_is_refused() -> None:
    """Two subscriptions of one topic cannot share an address, by create or by update."""
    sandbox = _sandbox()
    sandbox.data(CREATE, {"topic": "ORDERS_PAID", "uri": "https://a.example/hook"})
    second = sandbox.data(CREATE, {"topic": "ORDERS_PAID", "uri": "https://b.example/hook"})
    second_id = second["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
    refused = sandbox.data(UPDATE, {"id": second_id, "uri": "https://a.example/hook"})
    assert refused["webhookSubscriptionUpdate"]["userErrors"][0]["message"] == (
        "Address for this topic has already been taken"
    )
