"""Reconciliation reads: the order window and watermark, bulk export with its fallback, contact reads."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from sandbox.hubspot.shopsync_schema import define_shopsync_properties
from sandbox.seed import SeedData, generate_store
from sandbox.shopify.app import create_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.store import ShopifyStore
from tasks.hubspot.client import HubSpotClient
from tasks.reconcile import contact_pull as contact_pull_module
from tasks.reconcile.contact_pull import pull_contacts
from tasks.reconcile.pull import WATERMARK_KEY, Mode, OrderPull, advance_watermark, pull_orders, window_start
from tasks.retry import retry_policy
from tasks.rules.config import ShopsyncConfig
from tasks.shopify.auth import ShopifyAuth
from tasks.shopify.client import ShopifyClient
from tasks.shopify.models import OrderRecord
from tests.sandbox.hubspot_sandbox import Sandbox, make_sandbox
from tests.tasks.shopify.fakes import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

BASE_URL = "http://shopify.sandbox"
ZONE = ZoneInfo("America/New_York")
OVERLAP = timedelta(hours=48)
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


class FakeLedger:
    """The ledger's upsert/watermark surface over dicts (newest `updated_at` wins, like the real one)."""

    def __init__(self, watermark: str | None = None) -> None:
        self.orders: dict[int, OrderRecord] = {}
        self.watermarks = {WATERMARK_KEY: watermark} if watermark else {}

    def upsert(self, records: Iterable[OrderRecord]) -> list[int]:
        changed = []
        for record in records:
            kept = self.orders.get(record.order_id)
            if kept is None or record.updated_at > kept.updated_at:
                self.orders[record.order_id] = record
                changed.append(record.order_id)
        return sorted(changed)

    def get_watermark(self, name: str) -> str | None:
        return self.watermarks.get(name)

    def set_watermark(self, name: str, value: str) -> None:
        self.watermarks[name] = value


@pytest.fixture(scope="module")
def seed() -> SeedData:
    return generate_store()


def _shop(seed: SeedData, clock: FakeClock, **config: object) -> Iterator[ShopifyClient]:
    settings = ShopifySandboxConfig(clock=clock, sleep=clock.sleep, **config)  # type: ignore[arg-type]
    with TestClient(create_app(ShopifyStore.from_seed(seed), settings), base_url=BASE_URL) as http:
        http.auth = ShopifyAuth(settings.access_token)
        yield ShopifyClient(
            http,
            f"{BASE_URL}/admin/api/2026-04/graphql.json",
            shop_timezone=ZONE,
            retry=retry_policy(attempts=3, sleep=clock.sleep),
            sleep=clock.sleep,
            clock=clock,
        )


def _pull(
    client: ShopifyClient, ledger: FakeLedger, mode: Mode, clock: FakeClock, tmp_path: Path
) -> OrderPull:
    return pull_orders(
        client,
        ledger,
        mode,
        None,
        OVERLAP,
        shop_timezone=ZONE,
        workdir=tmp_path,
        clock=lambda: NOW,
        sleep=clock.sleep,
    )


def test_window_start_prefers_since_then_the_watermark_minus_the_overlap() -> None:
    """since wins (naive = UTC); full reads everything; incremental starts an overlap before the watermark."""
    mark = "2026-11-27T10:00:00+00:00"
    naive = datetime(2026, 11, 1, 8, 0)

    assert window_start(mark, "incremental", naive, OVERLAP) == naive.replace(tzinfo=UTC)
    assert window_start(mark, "full", None, OVERLAP) is None
    assert window_start(None, "incremental", None, OVERLAP) is None
    assert window_start(mark, "incremental", None, OVERLAP) == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_incremental_pull_reads_only_orders_updated_in_the_window(seed: SeedData, tmp_path: Path) -> None:
    """Pages from watermark − overlap; the ledger gets those orders; the next watermark is the newest seen."""
    updated = sorted(datetime.fromisoformat(order["updated_at"]) for order in seed.orders)
    mark = updated[-5] + OVERLAP
    ledger, clock = FakeLedger(mark.isoformat()), FakeClock()
    for client in _shop(seed, clock):
        pull = _pull(client, ledger, "incremental", clock, tmp_path)

    wanted = {o["id"] for o in seed.orders if datetime.fromisoformat(o["updated_at"]) >= updated[-5]}
    assert (pull.mode, pull.source, pull.since) == ("incremental", "pages", updated[-5])
    assert set(ledger.orders) == wanted and pull.orders_seen == len(wanted)
    assert pull.watermark == updated[-1]
    assert set(pull.customer_ids) == {r.customer_id for r in ledger.orders.values() if r.customer_id}
    advance_watermark(ledger, pull)
    assert ledger.watermarks[WATERMARK_KEY] == updated[-1].astimezone(UTC).isoformat()


def test_first_incremental_run_exports_every_order_in_bulk(seed: SeedData, tmp_path: Path) -> None:
    """Without a watermark there is no window: the run is full and reads the bulk JSONL file."""
    ledger, clock = FakeLedger(), FakeClock()
    for client in _shop(seed, clock):
        pull = _pull(client, ledger, "incremental", clock, tmp_path)

    assert (pull.mode, pull.source, pull.orders_seen) == ("full", "bulk", len(seed.orders))
    assert len(pull.changed_order_ids) == len(seed.orders) == len(ledger.orders)
    assert clock.sleeps and sum(clock.sleeps) < 2  # polled with short, growing waits


def test_full_pull_pages_through_orders_while_another_bulk_operation_runs(
    seed: SeedData, tmp_path: Path
) -> None:
    """A busy bulk slot (one per app and shop) falls back to pagination, with the same orders."""
    ledger, clock = FakeLedger(), FakeClock()
    for client in _shop(seed, clock, bulk_duration_seconds=10_000.0):
        client.run_bulk_orders_export(None)
        pull = _pull(client, ledger, "full", clock, tmp_path)

    assert (pull.mode, pull.source) == ("full", "pages (bulk busy)")
    assert set(ledger.orders) == {order["id"] for order in seed.orders}


def _hubspot_with_contacts(count: int) -> tuple[HubSpotClient, Sandbox]:
    sandbox = make_sandbox()
    define_shopsync_properties(sandbox.store.schema, sandbox.store.now(), [{"shopify_customer_id": "1"}])
    for index in range(1, count + 1):
        sandbox.store.create_contact(
            {
                "email": f"c{index}@example.com",
                "shopify_customer_id": str(index),
                "shopify_total_spent": "10.00",
                "lastmodifieddate": "2026-11-01T10:00:00.000Z",
            },
            api_write=False,
        )
    return HubSpotClient(sandbox.client), sandbox


@pytest.mark.parametrize("per_frame", [5_000, 40])
def test_full_contact_read_lists_every_contact_100_per_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_frame: int
) -> None:
    """150 contacts come back typed, with their last write time, in two list requests (no search), however
    many frames the listing was built from."""
    monkeypatch.setattr(contact_pull_module, "_CONTACTS_PER_FRAME", per_frame)
    client, sandbox = _hubspot_with_contacts(150)
    empty = pl.DataFrame(schema={"customer_id": pl.Int64(), "email": pl.String()})

    snapshot = pull_contacts(client, ShopsyncConfig(), "full", empty, clock=lambda: NOW)

    assert snapshot.contacts.height == 150 and snapshot.taken_at == NOW
    assert snapshot.contacts["shopify_customer_id"].sort().to_list() == list(range(1, 151))
    assert snapshot.last_written["last_written"].unique().to_list() == [datetime(2026, 11, 1, 10, tzinfo=UTC)]
    per_endpoint = sandbox.client.get("/_sandbox/state").json()["counters"]["per_endpoint"]
    assert sum(per_endpoint.values()) == 2 and not any("search" in name for name in per_endpoint)


def test_incremental_contact_read_batch_reads_only_the_touched_customers() -> None:
    """Three customers are looked up by Shopify id in one batch read; nothing is listed."""
    client, sandbox = _hubspot_with_contacts(150)
    customers = pl.DataFrame({"customer_id": [3, 30, 130], "email": ["c3@example.com", None, None]})

    snapshot = pull_contacts(client, ShopsyncConfig(), "incremental", customers)

    assert sorted(snapshot.contacts["shopify_customer_id"].to_list()) == [3, 30, 130]
    per_endpoint = sandbox.client.get("/_sandbox/state").json()["counters"]["per_endpoint"]
    assert sum(per_endpoint.values()) == 1 and all("batch/read" in name for name in per_endpoint)
