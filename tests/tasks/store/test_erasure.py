"""Forgetting a customer, or the shop, in the database: what goes, what stays, and what can never return."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from tasks.store.contact_leases import ContactLeases
from tasks.store.erasure import (
    REDACTED_REASON,
    CustomerKeys,
    customer_holdings,
    erase_customer,
    purge_shop,
)
from tasks.store.inbox import Delivery, Inbox
from tasks.store.ledger import Ledger, order_ledger, sync_state
from tasks.store.redactions import CreatedContacts, Redactions
from tests.tasks.store.db_backends import BACKENDS, open_engine
from tests.tasks.store.test_ledger import order

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ADA, BOB = 7001, 7002
ADA_EMAIL = "ada@example.com"
SHOP = {"shop_id": 1, "shop_domain": "shop.myshopify.com"}
ADA_KEYS = CustomerKeys(ADA, frozenset({"ada@example.com"}), frozenset({103}))


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    yield from open_engine(request.param, tmp_path)


def _delivery(
    webhook_id: str, payload: dict, *, order_id: int | None, topic: str = "orders/paid"
) -> Delivery:
    return Delivery(webhook_id, topic, "shop.myshopify.com", NOW, json.dumps(payload), order_id=order_id)


def _fill(engine: Engine) -> Inbox:
    """Ada: orders 101 (by id), 102 (by email only, a guest checkout), 103 (named by the request, no
    customer); Bob: order 201. The inbox holds one delivery per order plus a refund naming Ada's order."""
    Ledger(engine).upsert(
        [
            order(101, customer_id=ADA, email="ada@example.com"),
            order(102, customer_id=None, email="ADA@example.com"),
            order(103, customer_id=None, email=None),
            order(201, customer_id=BOB, email="bob@example.com"),
        ]
    )
    inbox = Inbox(engine)
    inbox.add_many(
        [
            _delivery(
                "wh-101", {"id": 101, "customer": {"id": ADA, "email": "ada@example.com"}}, order_id=101
            ),
            _delivery("wh-102", {"id": 102, "contact_email": "ada@example.com"}, order_id=102),
            _delivery("wh-refund", {"id": 9, "order_id": 101}, order_id=101, topic="refunds/create"),
            _delivery(
                "wh-201", {"id": 201, "customer": {"id": BOB, "email": "bob@example.com"}}, order_id=201
            ),
            # Bob's order total happens to contain Ada's id as digits: a textual match, not a mention.
            _delivery("wh-202", {"id": 202, "note": f"ref {ADA}0", "customer": {"id": BOB}}, order_id=202),
        ]
    )
    return inbox


def test_a_data_request_finds_every_order_and_delivery_of_the_customer(engine: Engine) -> None:
    """By customer id, by email on a guest order, by an order the request names, and by payload."""
    _fill(engine)
    held = customer_holdings(engine, ADA_KEYS)
    assert sorted(o.order_id for o in held.orders) == [101, 102, 103]
    assert sorted(d.webhook_id for d in held.deliveries) == ["wh-101", "wh-102", "wh-refund"]


def test_erasing_a_customer_removes_their_rows_and_keeps_everyone_else(engine: Engine) -> None:
    """Ada's orders leave the ledger; her deliveries stay as tombstones without payload or order id."""
    inbox = _fill(engine)
    erase_customer(engine, ADA_KEYS, NOW)

    with engine.connect() as connection:
        left = sorted(connection.execute(select(order_ledger.c.order_id)).scalars())
    assert left == [201]
    for webhook_id in ("wh-101", "wh-102", "wh-refund"):
        tombstone = inbox.get(webhook_id)
        assert tombstone is not None
        assert (tombstone.payload, tombstone.order_id, tombstone.status, tombstone.reason) == (
            None,
            None,
            "skipped",
            REDACTED_REASON,
        )
    assert inbox.get("wh-201").payload is not None and inbox.get("wh-202").payload is not None
    assert Redactions(engine).customer_ids() == {ADA}


def test_a_redacted_customer_never_comes_back_into_the_ledger(engine: Engine) -> None:
    """A late webhook or a reconciliation pulling Ada's order again changes nothing; Bob's still goes in."""
    _fill(engine)
    erase_customer(engine, ADA_KEYS, NOW)
    ledger = Ledger(engine)

    changed = ledger.upsert(
        [order(101, customer_id=ADA, minutes=60), order(201, customer_id=BOB, minutes=60)]
    )

    assert changed == [201]
    assert ledger.orders_for_customers([ADA]) == []


def test_erasing_twice_changes_nothing_more(engine: Engine) -> None:
    """A retried customers/redact finds nothing left and keeps the first redaction's time."""
    _fill(engine)
    first = erase_customer(engine, ADA_KEYS, NOW)
    second = erase_customer(engine, ADA_KEYS, datetime(2026, 6, 1, tzinfo=UTC))
    assert (len(first.orders), len(second.orders), len(second.deliveries)) == (3, 0, 0)
    assert Redactions(engine).among([ADA, BOB]) == {ADA}


def test_a_shop_redaction_purges_everything_but_the_redacted_ids(engine: Engine) -> None:
    """Ledger, watermarks, leases, created contacts and order deliveries go; a retry of the compliance
    request stays a duplicate, and purging again is harmless."""
    inbox = _fill(engine)
    erase_customer(engine, ADA_KEYS, NOW)
    Ledger(engine).set_watermark("orders", "2026-05-01T00:00:00Z")
    ContactLeases(engine, 60).acquire([BOB], "nightly")
    CreatedContacts(engine).record(["501"])
    inbox.add(
        _delivery(
            "wh-shop", {"shop_id": 1, "shop_domain": "shop.myshopify.com"}, order_id=None, topic="shop/redact"
        )
    )

    purge_shop(engine)
    purge_shop(engine)

    with engine.connect() as connection:
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (order_ledger, sync_state)
        }
    assert counts == {"order_ledger": 0, "sync_state": 0}
    assert ContactLeases(engine, 60).touched_since(0, 0) == []
    assert CreatedContacts(engine).created_by_shopsync(["501"]) == set()
    assert inbox.get("wh-201") is None and inbox.get("wh-shop") is not None
    assert inbox.add(_delivery("wh-shop", {}, order_id=None, topic="shop/redact")) is False
    assert Redactions(engine).customer_ids() == {ADA}
