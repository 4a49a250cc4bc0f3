"""Drill 2, fast part — a run that died holding claims: its deliveries wait for the lease, then sync once.

Load: 30 orders/paid deliveries; a "dead" run claims 10 of them with a 5 s lease and never finishes. Expected:
a run started at once syncs the other 20 and leaves the claimed 10 alone; a run after the lease expired
syncs those 10; every delivery ends synced exactly once and HubSpot equals the oracle. (The slow drill in
test_crash_recovery.py does the same with a real SIGKILL of a `shopsync sync` process.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.sync_orders import sync_shopify_orders
from tests.drills.oracle import mismatches
from tests.flows.world import World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Long enough for a run to start and finish inside it on a slow machine; the live runs' own lease is short.
DEAD_RUN_LEASE_SECONDS = 5.0


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SHOPSYNC_CLAIM_LEASE_SECONDS", "1")
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def test_a_dead_runs_claims_are_taken_over_after_the_lease(world: World) -> None:
    """Claimed rows of a run that died are untouched until the lease ends, then synced by the next run."""
    orders = [o for o in world.sandbox.shopify_store.orders() if o["customer"]][:30]
    for order in orders:
        assert world.deliver("orders/paid", order["id"], f"lease-{order['id']}") == 200
    lease_ends = time.monotonic() + DEAD_RUN_LEASE_SECONDS
    dead = world.inbox.claim(10, "flow-run-that-died", DEAD_RUN_LEASE_SECONDS)

    first = sync_shopify_orders()

    assert time.monotonic() < lease_ends, "the first run must finish inside the dead run's lease"
    assert first["deliveries"] == 20
    assert all(world.inbox.get(d.webhook_id).status == "claimed" for d in dead)  # type: ignore[union-attr]
    time.sleep(max(0.0, lease_ends - time.monotonic()))
    second = sync_shopify_orders()

    assert second["deliveries"] == 10
    assert all(world.inbox.get(d.webhook_id).attempts == 2 for d in dead)  # type: ignore[union-attr]
    counts = world.inbox.counts()
    assert counts["synced"] + counts["skipped"] == 30 and counts["claimed"] == counts["pending"] == 0
    assert mismatches(world.sandbox, orders) == []
