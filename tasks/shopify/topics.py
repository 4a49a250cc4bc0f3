"""The webhook topics shopsync's receiver consumes, and how Shopify is told to send each one.

This is the one list: `shopsync setup --receiver-url` subscribes every "api" topic through the Admin API,
`shopsync doctor` checks those subscriptions, and the inbox queues them for the sync flow. Topics Shopify does
not accept through the API (the mandatory compliance topics customers/data_request, customers/redact and
shop/redact) are declared in the app's configuration instead; they belong here as "app_config" entries, which
setup leaves alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

WebhookSource = Literal["api", "app_config"]

CONSUMED_TOPICS: Final[Mapping[str, WebhookSource]] = {
    "orders/paid": "api",
    "orders/updated": "api",
    "orders/cancelled": "api",
    "refunds/create": "api",
    # The mandatory compliance topics: declared in the app's configuration, handled by the privacy flow.
    "customers/data_request": "app_config",
    "customers/redact": "app_config",
    "shop/redact": "app_config",
}
API_SUBSCRIBED_TOPICS: Final = tuple(topic for topic, source in CONSUMED_TOPICS.items() if source == "api")
PRIVACY_TOPICS: Final = tuple(topic for topic, source in CONSUMED_TOPICS.items() if source == "app_config")


def topic_enum(topic: str) -> str:
    """The GraphQL `WebhookSubscriptionTopic` of a REST-style topic: "orders/paid" → "ORDERS_PAID"."""
    return topic.upper().replace("/", "_")
