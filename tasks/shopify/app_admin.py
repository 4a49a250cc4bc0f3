"""What the app can see and change about itself on the shop: its access, and its webhook subscriptions.

Reached through `ShopifyClient.app`, so every request takes the client's one paced and retried path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tasks.errors import ShopifyFetchFailed
from tasks.shopify import operations
from tasks.shopify.graphql_models import (
    AppAccess,
    Connection,
    UserError,
    WebhookSubscription,
    parse_reply,
)
from tasks.shopify.topics import topic_enum
from tasks.shopify.transport import ShopifyAccessDenied

__all__ = ["ShopifyAppAdmin"]

Execute = Callable[[str, Mapping[str, Any] | None], dict[str, Any]]
IterConnection = Callable[[str, Mapping[str, Any], str], Iterator[Connection]]
_WEBHOOKS_PER_PAGE = 100
_EMAIL_FIELDS = frozenset({"defaultEmailAddress", "email"})


class ShopifyAppAdmin:
    """The app's installation on the shop: scopes, protected customer data, webhook subscriptions."""

    def __init__(self, execute: Execute, iter_connection: IterConnection) -> None:
        self._execute = execute
        self._iter_connection = iter_connection

    def access(self) -> AppAccess:
        """The shop the credentials open and the access scopes granted to the app.

        Raises:
            ShopifyFetchFailed: Shopify refused the credentials or sent a malformed reply.
        """
        data = self._execute(operations.APP_ACCESS, None)
        shop = data.get("shop") or {}
        scopes = ((data.get("currentAppInstallation") or {}).get("accessScopes")) or []
        return parse_reply(
            AppAccess,
            {
                "shop_name": shop.get("name"),
                "shop_domain": shop.get("myshopifyDomain"),
                "scopes": [scope.get("handle") for scope in scopes if isinstance(scope, dict)],
            },
            "shop / currentAppInstallation",
        )

    def customer_emails_readable(self) -> bool | None:
        """Whether the app may read customers' email addresses (protected customer data, level 2).

        Returns:
            True or False, or None when the shop has no customer to try it on.

        Raises:
            ShopifyAccessDenied: Customers cannot be read at all (the read_customers scope is missing).
        """
        try:
            data = self._execute(operations.CUSTOMER_EMAIL_PROBE, None)
        except ShopifyAccessDenied as denied:
            if denied.fields and all(path and path[-1] in _EMAIL_FIELDS for path in denied.fields):
                return False
            raise
        nodes = (data.get("customers") or {}).get("nodes") or []
        return True if nodes else None

    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        """Every webhook subscription this app has on the shop."""
        variables = {"first": _WEBHOOKS_PER_PAGE, "after": None}
        pages = self._iter_connection(operations.WEBHOOK_SUBSCRIPTIONS, variables, "webhookSubscriptions")
        return [
            parse_reply(WebhookSubscription, node, "webhookSubscriptions.nodes[]")
            for page in pages
            for node in page.nodes
        ]

    def create_webhook_subscription(self, topic: str, uri: str) -> WebhookSubscription:
        """Subscribe `uri` to `topic` ("orders/paid" or "ORDERS_PAID"), JSON format.

        Raises:
            ShopifyFetchFailed: Shopify refused the subscription (its userErrors are in the message).
        """
        variables = {"topic": topic_enum(topic), "uri": uri}
        data = self._execute(operations.WEBHOOK_SUBSCRIPTION_CREATE, variables)
        return _subscription(data.get("webhookSubscriptionCreate"))

    def update_webhook_subscription(self, subscription_id: str, uri: str) -> WebhookSubscription:
        """Point an existing subscription at `uri` (JSON format), keeping its topic.

        Raises:
            ShopifyFetchFailed: Shopify refused the change (its userErrors are in the message).
        """
        variables = {"id": subscription_id, "uri": uri}
        data = self._execute(operations.WEBHOOK_SUBSCRIPTION_UPDATE, variables)
        return _subscription(data.get("webhookSubscriptionUpdate"))


def _subscription(payload: object) -> WebhookSubscription:
    """The subscription of a create/update payload, or ShopifyFetchFailed with its userErrors."""
    body = payload if isinstance(payload, dict) else {}
    errors = [parse_reply(UserError, error, "userErrors[]") for error in body.get("userErrors") or []]
    if errors:
        raise ShopifyFetchFailed(f"webhook subscription refused: {'; '.join(e.message for e in errors)}")
    return parse_reply(WebhookSubscription, body.get("webhookSubscription"), "webhookSubscription")
