"""Drill 3 — API faults: HubSpot and Shopify fail 20 % of requests; everything syncs, persistent failures
end in the error report and replay cleanly.

Load: the 110 attributed orders of the seeded store as orders/paid plus 20 refunds/create (130 deliveries),
synced in batches of 10 (13 batches, each with its own HubSpot reads and writes and a Shopify re-read).
Faults: HubSpot 429 / 423 / 503 / lost-answer timeouts at 5 % each; Shopify HTTP 429 (5 %) and 503 (15 %)
plus genuine THROTTLED replies from a 12-point cost bucket drained before the run. Waits HubSpot asks for
(10 s after a 429, 2 s after a 423) are compressed to 0.05 s here; the slow drill keeps them real.
Expected: every delivery synced in one run, every contact equal to the oracle, no duplicate contact, no
request over HubSpot's rate limit. Then a persistent outage and a persistent bad property. The slow variant
(marker `drill`) keeps HubSpot's real waits and a 30-requests-per-10-s limit the client must pace itself to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from deployments.cli import app as cli
from flows.sync_orders import sync_shopify_orders
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.hubspot import protocol
from tests.drills.api_faults import (
    HUBSPOT_FAULTS,
    SHOPIFY_FAULTS,
    competing_shopify_job,
    deliver_orders_and_refunds,
    faulty_world,
    hubspot_counters,
    injected,
    put_faults,
)
from tests.drills.oracle import mismatches
from tests.flows.world import World

pytestmark = pytest.mark.usefixtures("prefect_harness")

BUCKET_POINTS = 12
TIGHT_LIMIT = 30


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(protocol, "ROLLING_WINDOW_SECONDS", 0.05)
    monkeypatch.setattr(protocol, "LOCK_WAIT_SECONDS", 0.05)
    shopify = ShopifySandboxConfig(maximum_available=BUCKET_POINTS, restore_rate=5.0)
    with faulty_world(tmp_path, monkeypatch, shopify) as built:
        yield built


def test_twenty_percent_faults_on_both_apis_still_sync_everything(world: World) -> None:
    """With a fifth of all API calls failing, one run syncs every delivery and HubSpot equals the oracle."""
    deliver_orders_and_refunds(world, refunds=20, every=5)
    put_faults(world.sandbox.hubspot_base_url, HUBSPOT_FAULTS)
    put_faults(world.sandbox.shopify_base_url, SHOPIFY_FAULTS)

    with competing_shopify_job(world) as throttled:
        summary = sync_shopify_orders(batch_size=5)

    assert summary.get("failed", 0) == 0 and summary["deliveries"] == 130, world.inbox.failed()
    assert mismatches(world.sandbox) == []
    counters = hubspot_counters(world)
    assert counters["rate_limited_total"] == 0
    assert counters["max_in_ten_seconds"] <= counters["ten_second_limit"]
    # The premise: every kind of fault really happened.
    assert set(injected(world.sandbox.hubspot_base_url)) == {"429", "423", "503", "timeout"}
    assert set(injected(world.sandbox.shopify_base_url)) == {"429", "503"}
    assert throttled.is_set(), "Shopify must have answered THROTTLED at least once"


def test_a_persistent_outage_fails_the_run_loses_nothing_and_the_next_run_replays_it(world: World) -> None:
    """HubSpot locked for good: the run fails, deliveries go back to pending; once it recovers all sync."""
    deliver_orders_and_refunds(world, refunds=5, every=10)
    put_faults(world.sandbox.hubspot_base_url, {"error_rates": {"423": 1.0}, "paths": "/contacts/batch/"})
    before = [(c.id, dict(c.properties)) for c in world.sandbox.hubspot_store.contacts()]

    state = sync_shopify_orders(return_state=True)

    assert state.is_failed()
    assert "423" in str(state.message) or "423" in repr(state.result(raise_on_failure=False))
    counts = world.inbox.counts()
    assert (counts["pending"], counts["claimed"], counts["synced"]) == (115, 0, 0)
    assert [(c.id, dict(c.properties)) for c in world.sandbox.hubspot_store.contacts()] == before

    put_faults(world.sandbox.hubspot_base_url, {})
    summary = sync_shopify_orders()

    assert summary.get("failed", 0) == 0 and summary["deliveries"] == 115
    assert mismatches(world.sandbox) == []


def test_records_hubspot_keeps_refusing_end_in_the_error_report_and_replay_cleanly(world: World) -> None:
    """A property turned into a dropdown refuses some values: those deliveries fail with HubSpot's reason,
    the rest sync, and `shopsync replay` syncs the failed ones once the property is fixed, labelled replay."""
    deliver_orders_and_refunds(world, refunds=0, every=10)
    allowed = sorted({o["name"] for o in world.sandbox.seed.orders})[::2]
    dropdown = {"type": "enumeration", "fieldType": "select", "options": _options(allowed)}
    _patch_property(world, "shopify_last_order_number", dropdown)

    summary = sync_shopify_orders()

    failed = world.inbox.failed(limit=1000)
    assert failed and summary["failed"] == len(failed)
    assert summary.get("synced", 0) > 0, "one refused record must not fail its whole batch"
    assert all("shopify_last_order_number" in (delivery.reason or "") for delivery in failed)
    wrong = mismatches(world.sandbox)
    assert wrong

    _patch_property(world, "shopify_last_order_number", {"type": "string", "fieldType": "text"})
    result = CliRunner().invoke(cli, ["replay"])

    assert result.exit_code == 0, result.output
    assert f"re-queued {len(failed)} deliveries" in result.output
    assert world.inbox.failed() == []
    assert mismatches(world.sandbox) == []
    # What the replay corrected carries its label, for workflows to tell late writes from new orders.
    assert {(world.contact_of(c) or {}).get("shopify_last_write_source") for c in wrong} == {"replay"}


def _options(values: list[str]) -> list[dict[str, object]]:
    return [{"label": v, "value": v, "displayOrder": i, "hidden": False} for i, v in enumerate(values)]


def _patch_property(world: World, name: str, body: Mapping[str, object]) -> None:
    response = httpx.patch(
        f"{world.sandbox.hubspot_base_url}/crm/v3/properties/contacts/{name}",
        json=body,
        headers={"Authorization": f"Bearer {world.sandbox.hubspot_token}"},
    )
    response.raise_for_status()


@pytest.mark.drill
def test_real_waits_and_a_tight_rate_limit_still_sync_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow variant: HubSpot's real waits (10 s after a 429) and a 30-per-10-s limit the client must pace to;
    the same 20 % faults, and not one request over the limit."""
    monkeypatch.setenv("HUBSPOT_REQUESTS_PER_10S", str(TIGHT_LIMIT))
    shopify = ShopifySandboxConfig(maximum_available=BUCKET_POINTS, restore_rate=5.0)
    hubspot = HubSpotSandboxConfig(ten_second_limit=TIGHT_LIMIT)
    with faulty_world(tmp_path, monkeypatch, shopify, hubspot) as world:
        deliver_orders_and_refunds(world, refunds=20, every=5)
        put_faults(world.sandbox.hubspot_base_url, HUBSPOT_FAULTS)
        put_faults(world.sandbox.shopify_base_url, SHOPIFY_FAULTS)
        with competing_shopify_job(world) as throttled:
            summary = sync_shopify_orders(batch_size=5)

        assert summary.get("failed", 0) == 0 and summary["deliveries"] == 130, world.inbox.failed()
        assert mismatches(world.sandbox) == []
        counters = hubspot_counters(world)
        assert counters["rate_limited_total"] == 0
        assert counters["max_in_ten_seconds"] <= TIGHT_LIMIT
        assert counters["served"] > 2 * TIGHT_LIMIT, "the load must span several rate-limit windows"
        assert throttled.is_set()
