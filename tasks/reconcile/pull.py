"""Reconciliation's Shopify read: orders into the order ledger (the HubSpot read is `contact_pull.py`).

Incremental runs read orders updated since the last successful run's watermark (minus an overlap, because
Shopify's `updated_at` index and our clock may disagree a little) through the paged GraphQL query, and only
the contacts of the customers those orders belong to. Full runs export every order in one bulk operation,
falling back to pages when another bulk operation is running, and list every contact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from tasks.errors import ShopifyFetchFailed
from tasks.shopify.bulk_reader import iter_bulk_orders
from tasks.shopify.client import BulkOperationBusy, ShopifyClient
from tasks.shopify.graphql_models import BulkOperation, BulkOperationStatus
from tasks.shopify.models import OrderRecord
from tasks.shopify.rejections import OnInvalid, RejectedOrder
from tasks.store.db import utcnow

Mode = Literal["incremental", "full"]
OrderSource = Literal["pages", "bulk", "pages (bulk busy)"]

WATERMARK_KEY = "orders"
# Records per ledger upsert while streaming a bulk file: bounded memory, few transactions.
_UPSERT_BATCH = 2_000
_BULK_TIMEOUT_SECONDS = 3_600.0


class OrderLedger(Protocol):
    """What the pull needs of `tasks.store.ledger.Ledger`: newest-wins upserts and named watermarks."""

    def upsert(self, records: Iterable[OrderRecord]) -> list[int]: ...
    def get_watermark(self, name: str) -> str | None: ...
    def set_watermark(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class OrderPull:
    """What the Shopify read saw and did to the ledger.

    Attributes:
        mode: The mode used: an incremental run without any watermark or `since` reads everything (full).
        source: How orders were read.
        since: Inclusive lower bound on `updated_at`, None for every order.
        started_at: When the read began (our clock).
        finished_at: When the last order was in the ledger: the Shopify snapshot time.
        orders_seen: Orders Shopify returned.
        changed_order_ids: Orders the ledger did not hold in this version yet.
        customer_ids: The customers of every order seen (what an incremental run re-checks).
        watermark: The next watermark: the newest `updated_at` seen, or `started_at` if none was.
        first_run: No watermark was stored: no real run has succeeded on this database before.
        invalid_orders: Orders Shopify sent that break an order rule: not in the ledger, and reported.
    """

    mode: Mode
    source: OrderSource
    since: datetime | None
    started_at: datetime
    finished_at: datetime
    orders_seen: int
    changed_order_ids: tuple[int, ...]
    customer_ids: tuple[int, ...]
    watermark: datetime
    first_run: bool = False
    invalid_orders: tuple[RejectedOrder, ...] = ()

    @property
    def held_customer_ids(self) -> frozenset[int]:
        """Customers with an invalid order: their expected values would miss it, so none is corrected."""
        return frozenset(o.customer_id for o in self.invalid_orders if o.customer_id is not None)


@dataclass
class _Tally:
    seen: int = 0
    changed: list[int] = field(default_factory=list)
    customers: set[int] = field(default_factory=set)
    newest: datetime | None = None
    rejected: list[RejectedOrder] = field(default_factory=list)

    def record(self, ledger: OrderLedger, records: Sequence[OrderRecord]) -> None:
        self.seen += len(records)
        self.changed.extend(ledger.upsert(records))
        self.customers.update(r.customer_id for r in records if r.customer_id is not None)
        latest = max((record.updated_at for record in records), default=None)
        if latest is not None and (self.newest is None or latest > self.newest):
            self.newest = latest


def window_start(
    watermark: str | None, mode: Mode, since: datetime | None, overlap: timedelta
) -> datetime | None:
    """The `updated_at` lower bound of this run's order read.

    Args:
        watermark: The stored watermark (ISO 8601), None before the first successful run.
        mode: "incremental" or "full".
        since: An explicit override; wins over everything (a naive value is taken as UTC).
        overlap: How far before the watermark an incremental read starts.

    Returns:
        The bound, or None to read every order (full runs, and incremental runs with nothing to go on).
    """
    if since is not None:
        return since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    if mode == "full" or watermark is None:
        return None
    return datetime.fromisoformat(watermark) - overlap


def pull_orders(
    shopify: ShopifyClient,
    ledger: OrderLedger,
    mode: Mode,
    since: datetime | None,
    overlap: timedelta,
    *,
    shop_timezone: ZoneInfo,
    workdir: Path,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> OrderPull:
    """Read orders from Shopify and upsert them into the ledger (newest `updated_at` wins).

    Args:
        shopify: The Shopify client (paced by query cost, retried inside).
        ledger: The order ledger shared with the real-time path; its "orders" watermark picks the window.
        mode: "incremental" pages through the window; "full" exports it in one bulk operation.
        since: Overrides the window start.
        overlap: Re-read this much before the watermark.
        shop_timezone: The shop's zone (business dates of bulk-exported orders).
        workdir: Where the bulk JSONL file is streamed to.
        clock: Aware UTC now.
        sleep: How bulk polling waits.

    Returns:
        What was read, and the watermark to store once the whole run succeeded.

    Raises:
        ShopifyFetchFailed: Shopify refused a read, or the bulk operation failed.
    """
    started = clock()
    stored = ledger.get_watermark(WATERMARK_KEY)
    start = window_start(stored, mode, since, overlap)
    used: Mode = "full" if start is None else mode
    tally = _Tally()
    if used == "full":
        source, batches = _full_batches(shopify, start, shop_timezone, workdir, sleep, tally.rejected.append)
    else:
        source, batches = "pages", shopify.iter_order_pages(start, None, on_invalid=tally.rejected.append)
    for batch in batches:
        tally.record(ledger, batch)
    return OrderPull(
        mode=used,
        source=source,
        since=start,
        started_at=started,
        finished_at=clock(),
        orders_seen=tally.seen,
        changed_order_ids=tuple(sorted(tally.changed)),
        customer_ids=tuple(sorted(tally.customers)),
        watermark=tally.newest or started,
        first_run=stored is None,
        invalid_orders=tuple(tally.rejected),
    )


def _full_batches(
    shopify: ShopifyClient,
    since: datetime | None,
    shop_timezone: ZoneInfo,
    workdir: Path,
    sleep: Callable[[float], None],
    on_invalid: OnInvalid,
) -> tuple[OrderSource, Iterator[list[OrderRecord]]]:
    """The bulk export, or pages when another bulk operation holds the shop's slot."""
    try:
        return "bulk", _bulk_batches(shopify, since, shop_timezone, workdir, sleep, on_invalid)
    except BulkOperationBusy:
        return "pages (bulk busy)", shopify.iter_order_pages(since, None, on_invalid=on_invalid)


def _bulk_batches(
    shopify: ShopifyClient,
    since: datetime | None,
    shop_timezone: ZoneInfo,
    workdir: Path,
    sleep: Callable[[float], None],
    on_invalid: OnInvalid,
) -> Iterator[list[OrderRecord]]:
    """Run the bulk export now (so a busy shop raises before any read), then stream its file in batches."""
    started = shopify.run_bulk_orders_export(since)
    finished = wait_for_bulk(shopify, started, sleep)
    if finished.status != BulkOperationStatus.COMPLETED:
        raise ShopifyFetchFailed(f"bulk export {finished.id} ended {finished.status} ({finished.error_code})")
    if finished.url is None:
        return iter(())  # Shopify gives no file when nothing matched
    workdir.mkdir(parents=True, exist_ok=True)
    path = shopify.download_bulk_result(finished.url, workdir / "orders.jsonl")
    return _chunked(iter_bulk_orders(path, shop_timezone, on_invalid), _UPSERT_BATCH)


def wait_for_bulk(
    shopify: ShopifyClient,
    operation: BulkOperation,
    sleep: Callable[[float], None],
    *,
    first_wait: float = 0.25,
    max_wait: float = 10.0,
    timeout: float = _BULK_TIMEOUT_SECONDS,
) -> BulkOperation:
    """Poll until the operation finishes, waiting 0.25 s, then twice as long each time up to `max_wait`.

    Small shops finish in about a second and big ones take minutes, so doubling keeps both cheap.

    Raises:
        ShopifyFetchFailed: It did not finish within `timeout` seconds of waiting.
    """
    wait, waited = first_wait, 0.0
    while not operation.finished:
        if waited >= timeout:
            raise ShopifyFetchFailed(
                f"bulk export {operation.id} still {operation.status} after {waited:.0f} s"
            )
        sleep(wait)
        waited += wait
        wait = min(wait * 2, max_wait)
        operation = shopify.poll_bulk_operation(operation.id)
    return operation


def _chunked(records: Iterable[OrderRecord], size: int) -> Iterator[list[OrderRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def advance_watermark(ledger: OrderLedger, pull: OrderPull) -> str:
    """Store the pull's watermark (ISO 8601, UTC) and return it; call only after a successful run."""
    value = pull.watermark.astimezone(UTC).isoformat()
    ledger.set_watermark(WATERMARK_KEY, value)
    return value
