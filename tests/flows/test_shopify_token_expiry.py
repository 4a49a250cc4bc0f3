"""A sync run that outlives its Shopify access token: the token is renewed and no delivery fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.sync_orders import sync_shopify_orders
from sandbox.runner import ShopifyAuthMode
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.shopify.auth import PROCESS_TOKENS
from tests.flows.world import World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Each refunds/create delivery is re-read from Shopify, one per batch of one: eight requests, each slowed
# down by the sandbox, span several one-second token lifetimes.
REFUNDED_ORDERS = 8
SHOPIFY_LATENCY_SECONDS = 0.35


@pytest.fixture(params=["client_credentials", "token"])
def auth_mode(request: pytest.FixtureRequest) -> ShopifyAuthMode:
    """Both ways a shop is connected: a Dev Dashboard app's client credentials, a legacy static token."""
    mode: ShopifyAuthMode = request.param
    return mode


@pytest.fixture
def world(auth_mode: ShopifyAuthMode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    PROCESS_TOKENS.clear()
    config = ShopifySandboxConfig(token_lifetime_seconds=1.0)
    with build_world(tmp_path, monkeypatch, shopify_config=config, shopify_auth=auth_mode) as built:
        yield built


def _slow_down_shopify(world: World) -> None:
    faults = {"latency_seconds": SHOPIFY_LATENCY_SECONDS, "paths": "graphql"}
    response = httpx.put(f"{world.sandbox.shopify_base_url}/_sandbox/faults", json=faults)
    response.raise_for_status()


def test_a_sync_across_token_expiries_fails_no_delivery(world: World, auth_mode: ShopifyAuthMode) -> None:
    """With one-second tokens and a run of several seconds, every refund is re-read and synced."""
    refunded = [o for o in world.sandbox.seed.orders if o.get("refunds") and o["customer"] is not None]
    refunded = refunded[:REFUNDED_ORDERS]
    assert len(refunded) == REFUNDED_ORDERS
    for order in refunded:
        assert world.deliver("refunds/create", order["id"]) == 200
    _slow_down_shopify(world)

    summary = sync_shopify_orders(batch_size=1)

    assert summary.get("failed", 0) == 0, world.inbox.failed()
    assert summary.get("synced", 0) + summary.get("skipped", 0) == REFUNDED_ORDERS
    oauth = httpx.get(f"{world.sandbox.shopify_base_url}/_sandbox/state").json()["oauth"]
    if auth_mode == "client_credentials":
        # The run outlived its first token, so the token was renewed (before expiry or after a 401).
        assert oauth["grants"] >= 2, oauth
        print(f"token renewals across the run: {oauth}")
    else:
        assert oauth["grants"] == 0
