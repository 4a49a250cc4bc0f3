"""ShopifyClient end to end against the sandbox Admin API, in-process (Starlette's TestClient is httpx)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from starlette.exceptions import StarletteDeprecationWarning

from sandbox.seed import SeedData, generate_store
from sandbox.shopify.app import create_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.store import ShopifyStore
from tasks.credentials.shopify import ShopifyCredentials
from tasks.errors import ShopifyFetchFailed
from tasks.retry import retry_policy
from tasks.shopify.auth import PROCESS_TOKENS, ShopifyAuth, ShopifyAuthFailed
from tasks.shopify.bulk_reader import iter_bulk_orders
from tasks.shopify.client import BulkOperationBusy, ShopifyClient
from tasks.shopify.graphql_models import BulkOperationStatus
from tasks.shopify.models import OrderRecord
from tasks.shopify.transport import ShopifyAccessDenied
from tests.tasks.shopify.fakes import FakeClock

with warnings.catch_warnings():
    # starlette wants a newer httpx for its TestClient; the project pins httpx 0.28.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "sandbox-shopify-token"
BASE_URL = "http://shopify.sandbox"
GRAPHQL_URL = f"{BASE_URL}/admin/api/2026-04/graphql.json"


@pytest.fixture(scope="module")
def seed() -> SeedData:
    """The demo store (120 orders with int64 ids, refunds, guests, test and cancelled orders)."""
    return generate_store()


@dataclass
class Shop:
    """A sandbox app, its fake clock, and a client whose retry waits and pacing waits are told apart."""

    seed: SeedData
    http: TestClient
    clock: FakeClock
    retry_sleeps: list[float]
    client: ShopifyClient

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.seed.shop.iana_timezone)


def _shop(seed: SeedData, **config: object) -> Iterator[Shop]:
    clock = FakeClock()
    retry_sleeps: list[float] = []

    def retry_sleep(seconds: float) -> None:
        retry_sleeps.append(seconds)
        clock.now += seconds

    settings = ShopifySandboxConfig(clock=clock, sleep=clock.sleep, **config)  # type: ignore[arg-type]
    with TestClient(create_app(ShopifyStore.from_seed(seed), settings), base_url=BASE_URL) as http:
        http.auth = ShopifyAuth(TOKEN)
        client = ShopifyClient(
            http,
            GRAPHQL_URL,
            shop_timezone=seed.shop.iana_timezone,
            retry=retry_policy(attempts=4, sleep=retry_sleep),
            sleep=clock.sleep,
            clock=clock,
        )
        yield Shop(seed, http, clock, retry_sleeps, client)


@pytest.fixture
def shop(seed: SeedData) -> Iterator[Shop]:
    """The sandbox on Shopify Standard plan limits."""
    yield from _shop(seed)


def _expected(seed: SeedData) -> dict[int, OrderRecord]:
    """What the webhook path makes of each seeded REST order, with product types from the seeded catalog."""
    types = {product["id"]: product["product_type"] for product in seed.products}
    return {order["id"]: OrderRecord.from_webhook(order).with_product_types(types) for order in seed.orders}


def test_paged_read_returns_every_order_as_the_webhook_path_sees_it(shop: Shop) -> None:
    """All seeded orders come back over several pages, identical to records built from their REST payloads."""
    pages = list(shop.client.iter_order_pages(None, None))
    records = [record for page in pages for record in page]

    assert len(pages) > 1
    assert {record.order_id: record for record in records} == _expected(shop.seed)
    assert [r.updated_at for r in records] == sorted(r.updated_at for r in records)


def test_window_filter_returns_only_orders_updated_inside_it(shop: Shop) -> None:
    """[since, until) on updated_at selects exactly the seeded orders updated in that window."""
    expected = _expected(shop.seed)
    moments = sorted(record.updated_at for record in expected.values())
    since, until = moments[len(moments) // 4], moments[len(moments) // 2]

    records = [r for page in shop.client.iter_order_pages(since, until) for r in page]

    wanted = {oid for oid, record in expected.items() if since <= record.updated_at < until}
    assert {record.order_id for record in records} == wanted and wanted


def test_pacing_keeps_a_small_bucket_from_throttling(seed: SeedData) -> None:
    """With a 1,000-point bucket, reading every page waits out the deficit up front and is never THROTTLED."""
    for shop in _shop(seed, maximum_available=1000.0, restore_rate=50.0):
        pages = list(shop.client.iter_order_pages(None, None))
        assert sum(len(page) for page in pages) == len(seed.orders)
        assert shop.clock.sleeps, "pacing should have waited for the bucket to refill"
        assert shop.retry_sleeps == []


def test_drained_bucket_is_throttled_then_retried_after_the_deficit(shop: Shop) -> None:
    """After another caller drained the bucket, THROTTLED comes back and the retry waits the cost deficit."""
    bucket = shop.http.app.state.sandbox.bucket  # type: ignore[attr-defined]
    assert bucket.try_spend(int(bucket.available()) - 3)
    product_ids = [product["id"] for product in shop.seed.products]
    assert len(product_ids) > 3, "the query must cost more than what is left"

    types = shop.client.product_types(product_ids)

    assert types == {product["id"]: product["product_type"] for product in shop.seed.products}
    # nodes(ids:) costs one point per id; 3 points were left, 100 restore per second.
    assert shop.retry_sleeps[0] == pytest.approx((len(product_ids) - 3) / 100.0)


def test_orders_by_id_and_deleted_ids(shop: Shop) -> None:
    """Orders fetched by id match the webhook view; an unknown id is left out."""
    wanted = [order["id"] for order in shop.seed.orders[:25]]
    records = shop.client.fetch_orders_by_ids([*wanted, 2**62])
    expected = _expected(shop.seed)
    assert [record.order_id for record in records] == wanted
    assert all(record == expected[record.order_id] for record in records)


def test_bulk_export_end_to_end(shop: Shop, tmp_path: Path) -> None:
    """Start, poll to COMPLETED, download without the token, read the JSONL: same orders as a paged read."""
    since = min(r.updated_at for r in _expected(shop.seed).values()) + timedelta(days=30)
    started = shop.client.run_bulk_orders_export(since)
    finished = shop.client.wait_for_bulk_operation(started.id, poll_seconds=0.1, timeout_seconds=60)
    assert finished.status is BulkOperationStatus.COMPLETED and finished.url

    path = shop.client.download_bulk_result(finished.url, tmp_path / "orders.jsonl")
    from_bulk = sorted(iter_bulk_orders(path, shop.timezone), key=lambda r: r.order_id)
    paged = sorted(
        (r for page in shop.client.iter_order_pages(since, None) for r in page), key=lambda r: r.order_id
    )

    assert from_bulk == paged and from_bulk
    assert finished.object_count is not None and finished.object_count >= len(from_bulk)


def test_second_bulk_export_is_busy_with_the_first_one(shop: Shop) -> None:
    """While one bulk query runs, another raises BulkOperationBusy naming the running operation."""
    first = shop.client.run_bulk_orders_export(None)
    shop.clock.now += 0.1  # past CREATED, so the first one is RUNNING
    with pytest.raises(BulkOperationBusy) as caught:
        shop.client.run_bulk_orders_export(None)
    assert caught.value.running is not None and caught.value.running.id == first.id


def test_webhook_subscription_is_created_and_listed(shop: Shop) -> None:
    """A created subscription shows up in the listing with its topic and uri."""
    created = shop.client.app.create_webhook_subscription("orders/paid", "https://hooks.example/shopify")
    listed = shop.client.app.webhook_subscriptions()
    assert created in listed
    assert (created.topic, created.uri) == ("ORDERS_PAID", "https://hooks.example/shopify")


def test_credentials_block_drives_the_sandbox(seed: SeedData) -> None:
    """The Block's client (token, user agent, URL override) reads the sandbox; a wrong token fails fast."""
    app = create_app(ShopifyStore.from_seed(seed))
    fields = {
        "shop_domain": seed.shop.domain,
        "admin_api_url": GRAPHQL_URL,
        "shop_timezone": "America/New_York",
    }
    good = ShopifyCredentials(access_token=SecretStr(TOKEN), **fields)
    bad = ShopifyCredentials(access_token=SecretStr("wrong-token"), **fields)

    with TestClient(app, base_url=BASE_URL) as http:
        first_page = next(good.get_client(http).iter_order_pages(None, None))
        assert first_page
        with pytest.raises(ShopifyFetchFailed, match="HTTP 401.*Invalid API key"):
            next(bad.get_client(http).iter_order_pages(None, None))


def test_client_credentials_block_drives_the_sandbox(seed: SeedData) -> None:
    """A Dev Dashboard app's block gets a token from the grant and reads; a wrong secret fails fast."""
    PROCESS_TOKENS.clear()
    app = create_app(ShopifyStore.from_seed(seed))
    fields = {"shop_domain": seed.shop.domain, "admin_api_url": GRAPHQL_URL, "client_id": "sandbox-client-id"}
    good = ShopifyCredentials(client_secret=SecretStr("sandbox-client-secret"), **fields)
    bad = ShopifyCredentials(client_secret=SecretStr("wrong-secret"), **fields)

    with TestClient(app, base_url=BASE_URL) as http:
        assert next(good.get_client(http).iter_order_pages(None, None))
        assert next(good.get_client(http).iter_order_pages(None, None))
        with pytest.raises(ShopifyAuthFailed, match="invalid_client"):
            next(bad.get_client(http).iter_order_pages(None, None))
    assert app.state.sandbox.tokens.stats()["grants"] == 1


def test_the_app_reads_its_shop_and_granted_scopes(seed: SeedData) -> None:
    """app.access() names the shop the credentials open and the scopes the merchant granted."""
    for shop in _shop(seed, granted_scopes=("read_orders",)):
        access = shop.client.app.access()
        assert (access.shop_domain, access.scopes) == (seed.shop.domain, frozenset({"read_orders"}))


def test_customer_email_access_is_told_apart_from_a_missing_scope(seed: SeedData) -> None:
    """Protected customer data refused → False; granted → True; no read_customers → ShopifyAccessDenied."""
    for shop in _shop(seed, protected_customer_data=False):
        assert shop.client.app.customer_emails_readable() is False
    for shop in _shop(seed):
        assert shop.client.app.customer_emails_readable() is True
    for shop in _shop(seed, granted_scopes=("read_orders",)):
        with pytest.raises(ShopifyAccessDenied, match="read_customers"):
            shop.client.app.customer_emails_readable()


def test_missing_protected_customer_data_fails_an_order_read_loudly(seed: SeedData) -> None:
    """Without level-2 access the paged order read refuses to return orders with emails silently missing."""
    for shop in _shop(seed, protected_customer_data=False):
        with pytest.raises(ShopifyAccessDenied, match="not approved to use the"):
            next(shop.client.iter_order_pages(None, None))


def test_a_subscription_is_repointed(shop: Shop) -> None:
    """update_webhook_subscription moves a subscription to a new address, keeping id and topic."""
    created = shop.client.app.create_webhook_subscription("orders/updated", "https://old.example/hook")
    moved = shop.client.app.update_webhook_subscription(created.id, "https://new.example/hook")
    assert (moved.id, moved.topic, moved.uri) == (created.id, "ORDERS_UPDATED", "https://new.example/hook")
    with pytest.raises(ShopifyFetchFailed, match="does not exist"):
        shop.client.app.update_webhook_subscription(
            "gid://shopify/WebhookSubscription/1", "https://x.example"
        )
