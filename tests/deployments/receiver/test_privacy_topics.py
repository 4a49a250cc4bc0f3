"""Compliance topics at the receiver: verified like any delivery, queued for the privacy flow only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app
from deployments.receiver.run_trigger import NullRunTrigger
from tasks.shopify.topics import API_SUBSCRIBED_TOPICS, PRIVACY_TOPICS
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Inbox
from tests.deployments.receiver.signed_deliveries import (
    SHOP,
    TestClient,
    receiver_settings,
    shopify_headers,
    sign,
)

REDACT = json.dumps(
    {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": 7, "email": "ada@example.com"},
        "orders_to_redact": [9],
    }
).encode()


def test_compliance_topics_are_declared_in_the_app_config_not_subscribed() -> None:
    """setup subscribes, and doctor expects, only the order topics; the compliance topics are handled too."""
    assert set(PRIVACY_TOPICS) == {"customers/redact", "shop/redact", "customers/data_request"}
    assert not set(PRIVACY_TOPICS) & set(API_SUBSCRIBED_TOPICS)


@pytest.mark.parametrize("topic", PRIVACY_TOPICS)
def test_a_compliance_request_waits_for_the_privacy_flow(tmp_path: Path, topic: str) -> None:
    """Signed: 200 and pending, the privacy trigger is asked, the order sync neither runs nor claims it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.db'}")
    create_schema(engine)
    inbox = Inbox(engine)
    orders, privacy = NullRunTrigger(), NullRunTrigger()
    app = create_receiver_app(receiver_settings(), inbox, orders, privacy_trigger=privacy)
    with TestClient(app) as client:
        forged = shopify_headers(REDACT, **{"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(b"x")})
        assert client.post(WEBHOOK_PATH, content=REDACT, headers=forged).status_code == 401
        response = client.post(
            WEBHOOK_PATH, content=REDACT, headers=shopify_headers(REDACT, **{"X-Shopify-Topic": topic})
        )

    assert response.json()["status"] == "accepted"
    assert (len(orders.requests), len(privacy.requests)) == (0, 1)
    assert inbox.claim(10, "order-sync", 60) == []
    (claimed,) = inbox.claim(10, "privacy", 60, topics=frozenset(PRIVACY_TOPICS))
    assert claimed.topic == topic
