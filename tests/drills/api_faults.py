"""Helpers of the API-fault drills: a world whose sandboxes misbehave, and what they report afterwards."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.shopify import operations
from tests.flows.world import World, build_world

# HubSpot's four failure modes at 5 % each (20 % of requests). A timed-out request is applied by the
# sandbox but its answer is lost (a 504 after `timeout_seconds`): the hardest case for idempotency.
HUBSPOT_FAULTS: dict[str, Any] = {
    "error_rates": {"429": 0.05, "423": 0.05, "503": 0.05},
    "timeout_rate": 0.05,
    "timeout_seconds": 0.2,
    "timeout_after_apply": True,
    "seed": 11,
}
# Shopify's HTTP-level throttle (429 with Retry-After) and server errors, 20 % together; THROTTLED inside a
# 200 reply comes from the (small) cost bucket itself.
SHOPIFY_FAULTS: dict[str, Any] = {"error_rates": {"429": 0.05, "503": 0.15}, "paths": "graphql", "seed": 5}


@contextmanager
def faulty_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shopify: ShopifySandboxConfig,
    hubspot: HubSpotSandboxConfig | None = None,
) -> Iterator[World]:
    """The flow-test world, with the sandboxes built from these configs."""
    with build_world(tmp_path, monkeypatch, shopify_config=shopify, hubspot_config=hubspot) as world:
        yield world


def put_faults(base_url: str, plan: dict[str, Any]) -> None:
    """Replace a sandbox's fault plan (PUT /_sandbox/faults)."""
    httpx.put(f"{base_url}/_sandbox/faults", json=plan).raise_for_status()


def injected(base_url: str) -> dict[str, int]:
    """How many faults of each kind a sandbox has injected so far."""
    stats: dict[str, int] = httpx.get(f"{base_url}/_sandbox/faults").json()["stats"]["injected"]
    return stats


def hubspot_counters(world: World) -> dict[str, Any]:
    """The HubSpot sandbox's rate-limit counters (served, 429s by policy, busiest 10 s window)."""
    counters: dict[str, Any] = httpx.get(f"{world.sandbox.hubspot_base_url}/_sandbox/state").json()[
        "counters"
    ]
    return counters


class _ThrottledSeen(logging.Handler):
    """Sets an event once the retry layer logs a THROTTLED reply from Shopify."""

    def __init__(self, seen: threading.Event) -> None:
        super().__init__(logging.WARNING)
        self._seen = seen

    def emit(self, record: logging.LogRecord) -> None:
        if "THROTTLED" in record.getMessage():
            self._seen.set()


@contextmanager
def competing_shopify_job(world: World) -> Iterator[threading.Event]:
    """Another job of the same app spends Shopify's cost bucket to zero until shopsync is throttled once.

    Yields the event that is set when shopsync's retry layer met a THROTTLED reply. The competitor then
    stops, so shopsync's retries can succeed.
    """
    throttled, stop = threading.Event(), threading.Event()
    handler = _ThrottledSeen(throttled)
    retry_logger = logging.getLogger("tasks.retry")
    retry_logger.addHandler(handler)
    thread = threading.Thread(target=_spend_bucket, args=(world, throttled, stop), daemon=True)
    thread.start()
    try:
        yield throttled
    finally:
        stop.set()
        thread.join(5)
        retry_logger.removeHandler(handler)


def _spend_bucket(world: World, throttled: threading.Event, stop: threading.Event) -> None:
    gids = [f"gid://shopify/Order/{order['id']}" for order in world.sandbox.seed.orders]
    with httpx.Client(headers={"X-Shopify-Access-Token": world.sandbox.shopify_token}) as http:
        while not throttled.is_set() and not stop.wait(0.02):
            state = http.get(f"{world.sandbox.shopify_base_url}/_sandbox/state").json()
            available = int(state["throttle"]["currentlyAvailable"])
            if available >= 1:
                # nodes(ids:) costs one point per id: this spends exactly what is left.
                query = {"query": operations.ORDERS_BY_IDS, "variables": {"ids": gids[:available]}}
                http.post(world.sandbox.shopify_graphql_url, json=query)


def deliver_orders_and_refunds(world: World, refunds: int, every: int) -> list[int]:
    """Deliver every attributed order as orders/paid, refunding one (refunds/create) after every `every`.

    Returns:
        The delivered order ids.
    """
    orders = [order for order in world.sandbox.shopify_store.orders() if order["customer"]]
    refundable = iter(o["id"] for o in orders if o["financial_status"] == "paid" and not o["cancelled_at"])
    moment = datetime.now(UTC) + timedelta(minutes=1)
    for index, order in enumerate(orders):
        assert world.deliver("orders/paid", order["id"]) == 200
        if index % every == every - 1 and refunds > 0:
            order_id = next(refundable)
            world.sandbox.shopify_store.refund_order(
                order_id, Decimal("2.50"), moment + timedelta(minutes=index)
            )
            assert world.deliver("refunds/create", order_id) == 200
            refunds -= 1
    return [order["id"] for order in orders]
