"""The order ledger: newest `updated_at` wins, whatever order the versions arrive in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from tasks.rules.frames import orders_frame, orders_frame_from_columns
from tasks.shopify.models import OrderRecord
from tasks.store.ledger import Ledger
from tests.tasks.store.db_backends import BACKENDS, open_engine

BASE_TIME = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
BIG_ID = 820982911946154508  # above 2**53: would lose digits through a float


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    yield from open_engine(request.param, tmp_path)


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine)


def order(order_id: int, *, minutes: int = 0, customer_id: int | None = 1, **changes: object) -> OrderRecord:
    """Order `order_id` as last updated `minutes` after BASE_TIME."""
    fields: dict[str, object] = {
        "order_id": order_id,
        "order_gid": f"gid://shopify/Order/{order_id}",
        "name": f"#{order_id % 100_000}",
        "customer_id": customer_id,
        "email": "jon@example.com",
        "processed_at": BASE_TIME,
        "processed_date": date(2026, 4, 1),
        "updated_at": BASE_TIME + timedelta(minutes=minutes),
        "cancelled": False,
        "test": False,
        "financial_status": "paid",
        "current_total": Decimal("404.95"),
        "total_price": Decimal("404.95"),
        "currency": "USD",
        "source_name": "web",
        "order_tags": ("vip",),
        "customer_tags": (),
        "product_ids": (BIG_ID + 1,),
        "product_types": None,
    }
    return OrderRecord.model_validate(fields | changes)


def test_an_order_round_trips_exactly(ledger: Ledger) -> None:
    """Money, int64 ids, tags and product types come back exactly as written."""
    record = order(
        BIG_ID,
        customer_id=115310627314723954,
        current_total=Decimal("0.10"),
        total_price=Decimal("1234567890.125"),
        order_tags=("vip", "wholesale"),
        product_ids=(788032119674292922, 1),
        product_types=("Sunglasses", ""),
        processed_date=date(2026, 3, 31),
    )

    assert ledger.upsert([record]) == [BIG_ID]

    assert ledger.orders_for_customers([115310627314723954]) == [record]


def test_newest_updated_at_wins_whatever_the_arrival_order(ledger: Ledger) -> None:
    """Older or equal versions arriving after a newer one change nothing and are not reported as changed."""
    paid = order(5, minutes=0, financial_status="paid")
    refunded = order(5, minutes=10, financial_status="partially_refunded", current_total=Decimal("300.00"))
    cancelled = order(5, minutes=20, cancelled=True, current_total=Decimal("0.00"))

    assert ledger.upsert([refunded]) == [5]
    assert ledger.upsert([cancelled]) == [5]
    assert ledger.upsert([paid]) == []
    assert ledger.upsert([refunded]) == []
    assert ledger.upsert([cancelled.model_copy(update={"financial_status": "voided"})]) == []

    assert list(ledger.iter_orders()) == [cancelled]


def test_a_batch_with_several_versions_keeps_the_newest(ledger: Ledger) -> None:
    """Versions of one order inside a single batch collapse to the newest one."""
    versions = [order(9, minutes=3), order(9, minutes=7, email="new@example.com"), order(9, minutes=1)]

    assert ledger.upsert(versions + [order(8)]) == [8, 9]

    assert [record.email for record in ledger.iter_orders()] == ["jon@example.com", "new@example.com"]


def test_a_large_batch_is_written_in_chunks(ledger: Ledger) -> None:
    """More orders than one statement holds (SQLAlchemy pages them by 1,000) are all written and reported."""
    count = 2_503
    records = [order(BIG_ID + number, customer_id=number % 7 + 1) for number in range(count)]

    changed = ledger.upsert(records)

    assert changed == [BIG_ID + number for number in range(count)]
    assert ledger.upsert(records) == []


def test_orders_for_customers_returns_only_their_orders(ledger: Ledger) -> None:
    """Orders come back by customer, then processing time; other customers' and guest orders stay out."""
    later = BASE_TIME + timedelta(days=1)
    ledger.upsert(
        [
            order(1, customer_id=20, processed_at=later),
            order(2, customer_id=10),
            order(3, customer_id=20),
            order(4, customer_id=30),
            order(5, customer_id=None),
        ]
    )

    found = ledger.orders_for_customers([20, 10, 99])

    assert [(record.customer_id, record.order_id) for record in found] == [(10, 2), (20, 3), (20, 1)]


def test_customers_touched_names_each_customer_once(ledger: Ledger) -> None:
    """The customers behind changed orders, deduplicated; guest orders and unknown ids add nobody."""
    ledger.upsert([order(1, customer_id=20), order(2, customer_id=20), order(3, customer_id=10)])
    ledger.upsert([order(4, customer_id=None)])

    assert ledger.customers_touched([1, 2, 3, 4, 404]) == [10, 20]


@pytest.mark.parametrize("count", [0, 4, 5])
def test_iter_orders_pages_through_every_order(ledger: Ledger, count: int) -> None:
    """Paging in small batches yields each order once, by order id, including at exact batch multiples."""
    ledger.upsert([order(100 - number) for number in range(count)])

    assert [record.order_id for record in ledger.iter_orders(batch=2)] == sorted(
        100 - number for number in range(count)
    )


def test_watermarks_are_stored_by_name(ledger: Ledger) -> None:
    """A watermark starts unset, can be set, and a later value replaces the earlier one."""
    assert ledger.get_watermark("nightly") is None

    ledger.set_watermark("nightly", "2026-04-01T00:00:00+00:00")
    ledger.set_watermark("nightly", "2026-04-02T00:00:00+00:00")
    ledger.set_watermark("other", "x")

    assert ledger.get_watermark("nightly") == "2026-04-02T00:00:00+00:00"
    assert ledger.get_watermark("other") == "x"


@pytest.mark.parametrize("batch", [2, 50_000])
def test_order_columns_build_the_same_frame_as_the_records(ledger: Ledger, batch: int) -> None:
    """The nightly run's columnar read gives exactly the frame of the validated records, batch by batch."""
    ledger.upsert(
        [
            order(BIG_ID, customer_id=115310627314723954, current_total=Decimal("0.10")),
            order(7, customer_id=None, email=None, order_tags=(), product_types=("Shirts", "")),
            order(9, order_tags=("vip", "wholesale, eu"), customer_tags=('a"b',), product_ids=(BIG_ID, 2)),
        ]
    )

    batches = [orders_frame_from_columns(columns) for columns in ledger.iter_order_columns(batch=batch)]

    assert len(batches) == (2 if batch == 2 else 1)
    assert_frame_equal(pl.concat(batches), orders_frame(ledger.iter_orders()))
