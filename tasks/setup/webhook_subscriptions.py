"""Subscribe the receiver to every topic it consumes, through the Admin API; safe to run any number of times.

For each API topic of `CONSUMED_TOPICS`: a subscription already pointing at the receiver is left alone; one
pointing elsewhere (an old receiver address) is repointed and reported; none at all is created. Other
subscriptions of the same topic to other addresses are reported, never deleted: they may be someone's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from tasks.errors import ConfigError
from tasks.shopify.app_admin import ShopifyAppAdmin
from tasks.shopify.graphql_models import WebhookSubscription
from tasks.shopify.topics import API_SUBSCRIBED_TOPICS, topic_enum

SubscriptionOutcome = Literal["created", "exists", "updated"]


@dataclass(frozen=True)
class TopicSubscription:
    """What setup found or did for one topic.

    Attributes:
        topic: e.g. "orders/paid".
        outcome: "created", "exists" (already pointing at the receiver) or "updated" (repointed).
        previous_uri: Where an updated subscription pointed before.
        also_delivered_to: Other addresses still subscribed to this topic.
    """

    topic: str
    outcome: SubscriptionOutcome
    previous_uri: str | None = None
    also_delivered_to: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the setup summary."""
        line = f"{self.topic}: {self.outcome}"
        if self.previous_uri:
            line += f" (was {self.previous_uri})"
        if self.also_delivered_to:
            line += f"; also delivered to {', '.join(self.also_delivered_to)}"
        return line


def check_receiver_url(url: str) -> str:
    """The receiver URL, stripped, when it is an absolute http(s) URL.

    Raises:
        ConfigError: It is not (Shopify would refuse it with "Address is invalid").
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"the receiver URL must be an absolute https:// URL, got {url!r}")
    return url


def ensure_webhook_subscriptions(
    app: ShopifyAppAdmin, receiver_url: str, topics: Sequence[str] = API_SUBSCRIBED_TOPICS
) -> list[TopicSubscription]:
    """Make every topic deliver to `receiver_url`, creating or repointing subscriptions as needed.

    Args:
        app: The app's side of the Shopify client (`ShopifyClient.app`).
        receiver_url: The public address of `POST /webhooks/shopify`.
        topics: REST-style topics ("orders/paid", ...).

    Returns:
        One entry per topic, in `topics` order.

    Raises:
        ConfigError: The URL is not an absolute http(s) URL.
        ShopifyFetchFailed: Shopify refused a read or a subscription (the message carries its userErrors).
    """
    receiver_url = check_receiver_url(receiver_url)
    existing = app.webhook_subscriptions()
    results = []
    for topic in topics:
        mine = [s for s in existing if s.topic == topic_enum(topic)]
        pointing_here = [s for s in mine if s.uri == receiver_url]
        elsewhere = [s for s in mine if s.uri != receiver_url]
        if pointing_here:
            results.append(_result(topic, "exists", None, elsewhere))
        elif elsewhere:
            moved = elsewhere[0]
            app.update_webhook_subscription(moved.id, receiver_url)
            results.append(_result(topic, "updated", moved.uri, elsewhere[1:]))
        else:
            app.create_webhook_subscription(topic, receiver_url)
            results.append(_result(topic, "created", None, []))
    return results


def _result(
    topic: str, outcome: SubscriptionOutcome, previous: str | None, others: Sequence[WebhookSubscription]
) -> TopicSubscription:
    return TopicSubscription(topic, outcome, previous, tuple(s.uri for s in others))
