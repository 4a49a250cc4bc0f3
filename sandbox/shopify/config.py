"""Settings of the sandbox Shopify Admin GraphQL API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ShopifySandboxConfig:
    """How the sandbox behaves; every limit mirrors Shopify's Standard plan by default.

    Attributes:
        access_token: The static `X-Shopify-Access-Token` accepted (a legacy custom app's). The
            default is deliberately not shaped like a real `shpat_` token.
        client_id: The Dev Dashboard app's client id, for the client-credentials grant.
        client_secret: The app's client secret: it gets tokens and signs the app's webhooks.
        compliance_webhook_uri: Where the app's configuration sends the compliance topics; None sends them
            to the address of the app's API webhook subscriptions.
        token_lifetime_seconds: How long a granted token lasts (Shopify: about 24 h; tests: seconds).
        granted_scopes: The access scopes the merchant granted the app (`accessScopes`, the grant's
            `scope`); a query of an object needing another scope gets ACCESS_DENIED.
        protected_customer_data: Whether the app may read customers' email, name and phone
            (protected customer data level 2); without it those fields are null with ACCESS_DENIED.
        webhook_retry_time_scale: Multiplies Shopify's webhook retry waits (8 retries over 4 hours);
            the default turns those hours into seconds.
        api_versions: Supported versions, oldest first. An older well-formed version
            falls forward to the oldest one (as Shopify does); anything else is 404.
        maximum_available: Leaky-bucket size in cost points.
        restore_rate: Points restored per second.
        max_query_cost: Largest cost a single query may request.
        max_page_size: Largest `first`/`last` on a connection.
        bulk_created_seconds: How long a bulk operation stays CREATED.
        bulk_duration_seconds: When a bulk operation reaches COMPLETED.
        max_concurrent_bulk_operations: Running bulk queries allowed per app and shop.
        public_base_url: Base of absolute links (bulk JSONL url); None = the request's.
        bulk_result_file: A JSONL file served as every bulk query's result instead of running the query
            over the store: the scale benchmark's stores (a million orders) are too large to hold as objects.
        clock: Monotonic seconds driving throttling and bulk progress.
        sleep: Awaited by fault injection for latency and timeouts (tests pass a fake).
        now: Wall clock for timestamps the sandbox creates.
    """

    access_token: str = "sandbox-shopify-token"
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    compliance_webhook_uri: str | None = None
    token_lifetime_seconds: float = 86_400.0
    granted_scopes: tuple[str, ...] = ("read_orders", "read_all_orders", "read_customers", "read_products")
    protected_customer_data: bool = True
    webhook_retry_time_scale: float = 1 / 3600
    api_versions: tuple[str, ...] = ("2026-04",)
    maximum_available: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000
    max_page_size: int = 250
    bulk_created_seconds: float = 0.05
    bulk_duration_seconds: float = 0.3
    max_concurrent_bulk_operations: int = 1
    public_base_url: str | None = None
    bulk_result_file: Path | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], datetime] = field(default=_utc_now)
