"""The nightly reconciliation end to end against the seeded sandbox (HubSpot starts with drift)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter

from flows.reconcile import reconcile_shopify_hubspot
from flows.sync_orders import sync_shopify_orders
from sandbox.expected import is_qualifying
from tasks.reconcile.pull import WATERMARK_KEY
from tasks.reconcile.steps import DriftCapExceeded, ReconcileSummary
from tasks.reconcile.tasks import DRIFT_EVENT
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.ledger import Ledger
from tests.flows.world import World, build_world, contact_matches

pytestmark = pytest.mark.usefixtures("prefect_harness")
WRITE_KINDS = ("create", "adopt", "update", "reset")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def _configure(**reconcile: object) -> None:
    """Write `[reconcile]` settings into the run's shopsync.toml."""
    lines = ["[reconcile]", *(f"{key} = {value}" for key, value in reconcile.items())]
    get_settings().config_path.write_text("\n".join(lines) + "\n")


def _portal(world: World) -> dict[str, dict[str, str | None]]:
    """Every live contact's properties, without the timestamps HubSpot bumps on any write."""
    return {
        contact.id: {k: v for k, v in contact.properties.items() if k != "lastmodifieddate"}
        for contact in world.sandbox.hubspot_store.contacts()
    }


def _counters(world: World) -> dict[str, Any]:
    state = httpx.get(f"{world.sandbox.hubspot_base_url}/_sandbox/state").json()
    counters: dict[str, Any] = state["counters"]
    return counters


def _requests_since(before: dict[str, Any], after: dict[str, Any], fragment: str) -> int:
    return sum(
        count - before["per_endpoint"].get(endpoint, 0)
        for endpoint, count in after["per_endpoint"].items()
        if fragment in endpoint
    )


def _drifted_customers(world: World) -> set[int]:
    """Customers whose HubSpot contact disagrees with the independent oracle (or who have none but bought)."""
    drifted = set()
    for customer_id, expected in world.expected().items():
        contact = world.contact_of(customer_id)
        if contact is None:
            if expected.order_count > 0:
                drifted.add(customer_id)
        elif not contact_matches(contact, expected):
            drifted.add(customer_id)
    return drifted


def _corrections(summary: ReconcileSummary) -> pl.DataFrame:
    assert summary.report_dir is not None
    parquet = pl.read_parquet(Path(summary.report_dir) / "corrections.parquet")
    csv = pl.read_csv(Path(summary.report_dir) / "corrections.csv", infer_schema=False)
    assert csv.height == parquet.height
    return parquet


def _latest_artifact(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = max(artifacts, key=lambda artifact: artifact.created or datetime.min.replace(tzinfo=UTC))
    return str(latest.data)


def _drift_event(flow_run_id: str) -> Event:
    """The run's `shopsync.drift.detected` event (events reach the API asynchronously, so poll briefly)."""
    wanted = EventFilter(event=EventNameFilter(name=[DRIFT_EVENT]))
    deadline = time.monotonic() + 10
    while True:
        with get_client(sync_client=True) as client:
            events = client.read_events(filter=wanted, limit=50).events
        found = [e for e in events if e.resource.id == f"shopsync.reconcile.{flow_run_id}"]
        if found or time.monotonic() > deadline:
            assert found, f"no {DRIFT_EVENT} event for run {flow_run_id}"
            return found[0]
        time.sleep(0.2)


def _assert_hubspot_equals_oracle(world: World) -> None:
    for customer_id, expected in world.expected().items():
        contact = world.contact_of(customer_id)
        if expected.order_count == 0 and contact is None:
            continue  # never qualified: no contact is created for it
        assert contact is not None, customer_id
        assert contact_matches(contact, expected), (customer_id, contact, expected)
        assert world.contacts_with_id(customer_id) == 1


def _watermark(world: World) -> str | None:
    return Ledger(database(get_settings().sqlalchemy_url)).get_watermark(WATERMARK_KEY)


def test_dry_run_reports_the_seeded_drift_one_run_repairs_it_and_a_second_finds_none(world: World) -> None:
    """The dry run lists exactly the drifted customers and writes nothing; one run makes HubSpot equal to the
    oracle in ⌈corrections/100⌉ write requests; a second run finds no drift."""
    seeded_drift = _drifted_customers(world)
    before = _portal(world)

    dry = reconcile_shopify_hubspot(mode="full", dry_run=True)

    planned = _corrections(dry)
    assert set(planned.filter(pl.col("kind").is_in(WRITE_KINDS))["customer_id"].to_list()) == seeded_drift
    assert dry.creates + dry.adoptions + dry.updates + dry.orphans == len(seeded_drift) == dry.corrections
    assert set(planned["status"].to_list()) == {"planned"}
    assert _portal(world) == before
    assert _watermark(world) is None
    report = _latest_artifact("drift-report")
    for phrase in ("dry run", "manual edit", "refund", "missed webhook", "unlinked contact"):
        assert phrase in report
    event = _drift_event(Path(dry.report_dir or "").name)
    assert event.payload["drifted"] == len(seeded_drift) and event.payload["dry_run"] is True
    # Default threshold 0: any drift labels the event for the alerting automation.
    assert event.resource.get("shopsync.drift.alert") == "true"
    table = json.loads(_latest_artifact("drift-corrections"))
    assert len(table) == planned.height
    assert {row["customer_id"] for row in table} == {str(customer_id) for customer_id in seeded_drift}

    counters_before, started = _counters(world), time.perf_counter()
    run = reconcile_shopify_hubspot(mode="full")
    elapsed = time.perf_counter() - started
    counters = _counters(world)

    _assert_hubspot_equals_oracle(world)
    assert (run.written, run.failed, run.order_source) == (len(seeded_drift), 0, "bulk")
    written = _corrections(run)
    assert set(written.filter(pl.col("kind").is_in(WRITE_KINDS))["status"].to_list()) == {"written"}
    writes = _requests_since(counters_before, counters, "/batch/")
    assert writes == math.ceil(run.creates / 100) + math.ceil(
        (run.adoptions + run.updates + run.orphans) / 100
    )
    assert counters["rate_limited_total"] == 0
    assert run.watermark is not None and _watermark(world) == run.watermark
    print(
        f"\nseeded run: {run.corrections} corrections, {writes} write requests, "
        f"{_requests_since(counters_before, counters, '')} HubSpot requests, {elapsed:.2f} s"
    )

    again = reconcile_shopify_hubspot(mode="full")

    assert (again.drifted, again.corrections, again.written) == (0, 0, 0)
    assert again.match_score == 1.0


def test_the_cap_aborts_before_writing_and_force_overrides_it(world: World) -> None:
    """Above `max_drift_share` the run fails with DriftCapExceeded and writes nothing; `force` writes."""
    _configure(max_drift_share=0.1)
    before = _portal(world)

    with pytest.raises(DriftCapExceeded, match=r"20\.0%.*cap of 10\.0%"):
        reconcile_shopify_hubspot(mode="full")

    assert _portal(world) == before
    assert _watermark(world) is None
    assert "Aborted before writing" in _latest_artifact("drift-report")

    forced = reconcile_shopify_hubspot(mode="full", force=True)

    assert forced.failed == 0 and forced.written > 0
    _assert_hubspot_equals_oracle(world)


def test_incremental_after_a_realtime_sync_reads_only_what_changed(world: World) -> None:
    """After a full run, an incremental one reads only orders updated since and fixes a missed refund."""
    _configure(overlap_hours=0)
    reconcile_shopify_hubspot(mode="full")
    store = world.sandbox.shopify_store
    paid = [o for o in store.orders() if o["customer"] is not None and is_qualifying(o)]
    synced, missed = paid[0], next(o for o in paid if o["customer"]["id"] != paid[0]["customer"]["id"])
    store.refund_order(synced["id"], Decimal("5.00"), datetime.now(UTC))
    assert world.deliver("refunds/create", synced["id"]) == 200
    sync_shopify_orders()
    store.refund_order(missed["id"], Decimal("7.00"), datetime.now(UTC))  # its webhook never arrives
    counters_before = _counters(world)

    summary = reconcile_shopify_hubspot(mode="incremental")

    counters = _counters(world)
    assert summary.mode == "incremental" and summary.order_source == "pages"
    assert summary.orders_seen <= 3 and summary.customers_checked <= summary.orders_seen
    assert (summary.updates, summary.written) == (1, 1)
    assert _corrections(summary)["customer_id"].unique().to_list() == [missed["customer"]["id"]]
    assert _requests_since(counters_before, counters, "GET /crm") == 0  # no contact listing
    _assert_hubspot_equals_oracle(world)
