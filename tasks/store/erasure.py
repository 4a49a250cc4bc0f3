"""Finding and erasing what the database holds about one customer, or about the whole shop.

A customer's data sits in two tables: their orders in the ledger (found by customer id, by the order ids a
request names, or by their email on an order without a customer) and webhook payloads in the inbox (found by
order id, or because the payload names their customer id or email). Erasing keeps the inbox row itself as a
tombstone without payload or order id: its webhook id is what makes a retried delivery a duplicate, so
deleting it would let Shopify's retry store the payload again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, or_, select, update

from tasks.shopify.models import OrderRecord
from tasks.shopify.topics import PRIVACY_TOPICS
from tasks.store.contact_leases import contact_leases, store_sequence
from tasks.store.db import write_transaction
from tasks.store.inbox import Delivery, webhook_deliveries
from tasks.store.ledger import order_ledger, row_record, sync_state
from tasks.store.redactions import created_contacts, mark_redacted

REDACTED_REASON = "customer redacted"
_CHECKPOINT_ATTEMPTS = 5

logger = logging.getLogger("shopsync.store.erasure")


@dataclass(frozen=True)
class CustomerKeys:
    """How a privacy request identifies a customer (held in memory only, never stored).

    Attributes:
        customer_id: The Shopify customer id.
        emails: Their email addresses, lowercased (orders placed as a guest carry only the email).
        order_ids: Orders the request names (`orders_to_redact`, `orders_requested`).
    """

    customer_id: int
    emails: frozenset[str] = frozenset()
    order_ids: frozenset[int] = frozenset()


@dataclass
class CustomerHoldings:
    """What the database holds about one customer: ledger orders and the deliveries that carried them."""

    orders: list[OrderRecord] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


def customer_holdings(engine: Engine, keys: CustomerKeys) -> CustomerHoldings:
    """Every ledger order and every order delivery that concerns the customer (for a data request)."""
    with engine.connect() as connection:
        return _holdings(connection, keys)


def erase_customer(engine: Engine, keys: CustomerKeys, now: datetime) -> CustomerHoldings:
    """Remember the customer as redacted and erase their orders and payloads, in one transaction.

    The mark comes first in the same transaction, so no ledger write can slip a new order of theirs in
    between (the ledger refuses orders of redacted customers). Deliveries still waiting end `skipped` with
    reason "customer redacted"; every matching delivery loses its payload and order id.

    Returns:
        What was erased (for counting; the caller must not keep it).
    """
    with write_transaction(engine) as connection:
        mark_redacted(connection, engine, keys.customer_id, now)
        holdings = _holdings(connection, keys)
        order_ids = [order.order_id for order in holdings.orders]
        if order_ids:
            connection.execute(delete(order_ledger).where(order_ledger.c.order_id.in_(order_ids)))
        forget_deliveries(connection, [delivery.webhook_id for delivery in holdings.deliveries], now)
    compact(engine)
    return holdings


def forget_deliveries(connection: Connection, webhook_ids: Iterable[str], now: datetime) -> None:
    """Drop payload and order id of these deliveries; those not finished yet end skipped."""
    table = webhook_deliveries
    wanted = sorted(set(webhook_ids))
    if not wanted:
        return
    cleared = {"payload": None, "order_id": None, "reason": REDACTED_REASON}
    connection.execute(update(table).where(table.c.webhook_id.in_(wanted)).values(cleared))
    waiting = table.c.status.in_(["pending", "claimed", "failed"])
    done = {"status": "skipped", "finished_at": now, "claimed_by": None, "lease_until": None}
    connection.execute(update(table).where(table.c.webhook_id.in_(wanted), waiting).values(done))


def drop_payloads(
    engine: Engine, webhook_ids: Iterable[str], now: datetime, *, redacted: bool = False
) -> None:
    """Drop the payloads of handled deliveries: a compliance request's, or a redacted customer's late one."""
    table = webhook_deliveries
    with write_transaction(engine) as connection:
        if redacted:
            forget_deliveries(connection, webhook_ids, now)
        else:
            wanted = sorted(set(webhook_ids))
            connection.execute(update(table).where(table.c.webhook_id.in_(wanted)).values(payload=None))
    # The payload was written to the database moments ago; make its bytes unrecoverable too.
    compact(engine)


def purge_shop(engine: Engine) -> dict[str, int]:
    """Delete everything shopsync stores for the shop, keeping only the redacted customer ids.

    Ledger, watermarks, leases, created-contact records and every order delivery go; the compliance
    deliveries stay as payload-less rows, so a retried `shop/redact` is a duplicate. Running it again
    deletes nothing more. Redacted customer ids (no personal data) stay so that a reinstall cannot bring a
    forgotten customer back.

    Returns:
        Rows deleted or cleared per table.
    """
    inbox = webhook_deliveries
    privacy = inbox.c.topic.in_(PRIVACY_TOPICS)
    counts: dict[str, int] = {}
    with write_transaction(engine) as connection:
        for table in (order_ledger, sync_state, contact_leases, store_sequence, created_contacts):
            counts[table.name] = connection.execute(delete(table)).rowcount
        counts[inbox.name] = connection.execute(delete(inbox).where(~privacy)).rowcount
        connection.execute(update(inbox).where(privacy).values(payload=None, reason=None))
    compact(engine)
    return counts


def compact(engine: Engine) -> None:
    """Make erased bytes unrecoverable from the database files.

    SQLite: `secure_delete` (set on every connection) zeroes deleted content, but earlier versions of a page
    stay in the write-ahead log (a payload written and then dropped is in both), and moved cells can stay in
    reused pages. VACUUM rebuilds the file from the live rows only; a TRUNCATE checkpoint then copies the
    WAL back and empties it (retried while another connection's read holds it). Redactions are rare, so the
    rewrite of the whole file is affordable. PostgreSQL: a plain VACUUM marks the dead rows' space free;
    the bytes stay on disk until reused (docs/reliability.md says so).
    """
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("VACUUM")
            for _ in range(_CHECKPOINT_ATTEMPTS):
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                result = cursor.fetchone()
                if result is None or not result[0]:
                    break
            else:
                logger.warning("the SQLite WAL could not be emptied: a reader kept it; the next run retries")
        else:
            # VACUUM refuses to run in a transaction; the pooled connection must get its old mode back.
            driver = raw.driver_connection
            driver.autocommit = True  # type: ignore[union-attr]
            try:
                for table in (order_ledger, webhook_deliveries):
                    cursor.execute(f"VACUUM {table.name}")
            finally:
                driver.autocommit = False  # type: ignore[union-attr]
        cursor.close()
    finally:
        raw.close()


def _holdings(connection: Connection, keys: CustomerKeys) -> CustomerHoldings:
    ledger = order_ledger.c
    mine = [ledger.customer_id == keys.customer_id]
    if keys.order_ids:
        mine.append(ledger.order_id.in_(sorted(keys.order_ids)))
    if keys.emails:
        mine.append(func.lower(ledger.email).in_(sorted(keys.emails)))
    rows = connection.execute(select(order_ledger).where(or_(*mine)).order_by(ledger.processed_at))
    orders = [row_record(row._mapping) for row in rows]
    order_ids = {order.order_id for order in orders} | set(keys.order_ids)
    return CustomerHoldings(orders, _deliveries(connection, keys, order_ids))


def _deliveries(connection: Connection, keys: CustomerKeys, order_ids: set[int]) -> list[Delivery]:
    inbox = webhook_deliveries.c
    # A cheap textual pre-filter; each candidate payload is then parsed and checked exactly.
    candidates = [inbox.payload.like(f"%{keys.customer_id}%")]
    lowered = func.lower(inbox.payload)
    candidates += [lowered.like(f"%{_escaped(email)}%", escape="\\") for email in keys.emails]
    if order_ids:
        candidates.append(inbox.order_id.in_(sorted(order_ids)))
    statement = (
        select(webhook_deliveries)
        .where(or_(*candidates), inbox.topic.not_in(PRIVACY_TOPICS))
        .order_by(inbox.received_at, inbox.webhook_id)
    )
    deliveries = [Delivery(**row._mapping) for row in connection.execute(statement)]
    return [d for d in deliveries if d.order_id in order_ids or _names_customer(d.payload, keys, order_ids)]


def _names_customer(payload: str | None, keys: CustomerKeys, order_ids: set[int]) -> bool:
    if payload is None:
        return False
    try:
        parsed = json.loads(payload)
    except ValueError:
        return False
    return _mentions(parsed, keys, order_ids, parent_key="")


def _mentions(value: Any, keys: CustomerKeys, order_ids: set[int], parent_key: str) -> bool:
    """True when the JSON names the customer: their id as a customer id, their email, or one of their
    orders."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and parent_key == "customer" and item == keys.customer_id:
                return True
            if key == "customer_id" and item == keys.customer_id:
                return True
            if key == "order_id" and item in order_ids:
                return True
            if _mentions(item, keys, order_ids, key):
                return True
        return False
    if isinstance(value, list):
        return any(_mentions(item, keys, order_ids, parent_key) for item in value)
    return isinstance(value, str) and value.strip().lower() in keys.emails


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
