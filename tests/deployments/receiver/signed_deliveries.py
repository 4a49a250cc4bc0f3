"""Signed Shopify deliveries for receiver tests: bodies, full header sets, receiver settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings

from starlette.exceptions import StarletteDeprecationWarning

from tasks.settings import Settings

with warnings.catch_warnings():
    # starlette 1.x wants httpx2 for its TestClient; the project pins httpx 0.28.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

SHOP = "shopsync-demo.myshopify.com"
CURRENT_SECRET = "current-signing-secret"
PREVIOUS_SECRET = "previous-signing-secret"
WEBHOOK_ID = "b1234-eefd-4c9e-9520-049845a02082"
ORDER_ID = 820982911946154508
ORDER_BODY = json.dumps({"id": ORDER_ID, "email": "jon@example.com", "total_price": "199.00"}).encode()


def sign(body: bytes, secret: str = CURRENT_SECRET) -> str:
    """Shopify's signature: base64 of HMAC-SHA256 over the raw body (hmac_test_vectors.json)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes, **overrides: str | None) -> dict[str, str]:
    """The headers of a genuine delivery of `body`; an override of None drops that header."""
    headers: dict[str, str | None] = {
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": WEBHOOK_ID,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Triggered-At": "2026-04-01T15:59:59.5Z",
        "X-Shopify-Event-Id": "evt-42",
        "Content-Type": "application/json",
    }
    headers.update(overrides)
    return {name: value for name, value in headers.items() if value is not None}


def receiver_settings(secrets: str = f"{CURRENT_SECRET},{PREVIOUS_SECRET}") -> Settings:
    """Receiver settings: signing secrets and the shop; no .env file is read."""
    return Settings(_env_file=None, SHOPIFY_WEBHOOK_SECRETS=secrets, SHOPIFY_SHOP_DOMAIN=SHOP)  # type: ignore[call-arg]
