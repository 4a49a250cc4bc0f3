"""The webhook inbox: every verified Shopify delivery, stored durably before we answer 200.

A delivery moves pending → claimed → synced | skipped | failed; unsubscribed topics are stored as ignored.
Sync runs claim rows with a lease, so two runs at once never work on the same delivery and a crashed run's
rows come back once its lease expires. Payloads (which carry customer PII) stay in this database only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from tasks.shopify.topics import API_SUBSCRIBED_TOPICS, PRIVACY_TOPICS
from tasks.store.db import UTCDateTime, dialect_insert, metadata, utcnow, write_transaction

DeliveryStatus = Literal["pending", "claimed", "synced", "skipped", "failed", "ignored"]
FinalStatus = Literal["synced", "skipped", "failed"]
STATUSES: tuple[DeliveryStatus, ...] = get_args(DeliveryStatus)
# Topics the sync flow acts on (the ones setup subscribes); any other verified topic is stored as "ignored"
# and answered 200.
SYNC_TOPICS = frozenset(API_SUBSCRIBED_TOPICS)
# The compliance topics wait in the inbox for the privacy flow, never for the order sync.
PRIVACY_QUEUE_TOPICS = frozenset(PRIVACY_TOPICS)
QUEUED_TOPICS = SYNC_TOPICS | PRIVACY_QUEUE_TOPICS

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("webhook_id", String(255), primary_key=True),
    Column("topic", String(255), nullable=False),
    Column("shop_domain", String(255), nullable=False),
    Column("api_version", String(32)),
    Column("triggered_at", UTCDateTime()),
    Column("event_id", String(255)),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("order_id", BigInteger),
    Column("payload", Text),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(255)),
    Column("lease_until", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Index("ix_webhook_deliveries_status_received", "status", "received_at"),
)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as stored in the inbox (`payload` is the raw JSON text, None once purged)."""

    webhook_id: str
    topic: str
    shop_domain: str
    received_at: datetime
    payload: str | None
    api_version: str | None = None
    triggered_at: datetime | None = None
    event_id: str | None = None
    order_id: int | None = None
    status: DeliveryStatus = "pending"
    reason: str | None = None
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    finished_at: datetime | None = None

    def payload_object(self) -> dict[str, Any]:
        """The payload parsed as a JSON object (ints stay exact: json never routes them through float)."""
        if self.payload is None:
            raise ValueError(f"delivery {self.webhook_id} has no payload (purged by retention)")
        parsed = json.loads(self.payload)
        if not isinstance(parsed, dict):
            raise ValueError(f"delivery {self.webhook_id} payload is not a JSON object")
        return parsed


class Inbox:
    """The durable queue between the webhook receiver and the sync flow."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock
        self._table = webhook_deliveries
        self._columns = tuple(webhook_deliveries.c.keys())
        # Built once: constructing the statement per call cost more than executing it.
        # RETURNING rather than rowcount: drivers report no reliable rowcount for INSERT ... ON CONFLICT.
        self._insert = (
            dialect_insert(engine, webhook_deliveries)
            .on_conflict_do_nothing(index_elements=["webhook_id"])
            .returning(webhook_deliveries.c.webhook_id)
        )

    def add(self, delivery: Delivery) -> bool:
        """Store a delivery unless its webhook id is already there.

        Args:
            delivery: The verified delivery (status "pending", or "ignored" for an unsubscribed topic).

        Returns:
            True when it was new; False for a duplicate, which changes nothing. Atomic under concurrent
            receivers because the database decides the conflict (INSERT ... ON CONFLICT DO NOTHING).
        """
        return self.add_many([delivery])[0]

    def add_many(self, deliveries: Sequence[Delivery]) -> list[bool]:
        """Store several deliveries in ONE transaction, each unless its webhook id is already there.

        One commit for many deliveries is what lets the receiver keep up under load (group commit); either
        all of them are stored or, if this raises, none is.

        Args:
            deliveries: Verified deliveries; the same webhook id may appear more than once.

        Returns:
            Per delivery, in order: True when it was new, False for a duplicate (already stored, or an
            earlier entry of `deliveries` with the same webhook id).
        """
        first_index: dict[str, int] = {}
        for index, delivery in enumerate(deliveries):
            first_index.setdefault(delivery.webhook_id, index)
        if not first_index:
            return []
        rows = [{name: getattr(deliveries[i], name) for name in self._columns} for i in first_index.values()]
        with write_transaction(self._engine) as connection:
            # Several parameter sets + RETURNING run as multi-row INSERTs ("insertmanyvalues"); rows that hit
            # the conflict return nothing, so the returned ids are exactly the new ones.
            inserted = set(connection.execute(self._insert, rows).scalars())
        return [
            delivery.webhook_id in inserted and first_index[delivery.webhook_id] == index
            for index, delivery in enumerate(deliveries)
        ]

    def claim(
        self, limit: int, worker_id: str, lease_seconds: float, topics: frozenset[str] = SYNC_TOPICS
    ) -> list[Delivery]:
        """Lease up to `limit` deliveries to one worker, oldest first.

        Pending rows and claimed rows whose lease has expired are eligible. One UPDATE ... RETURNING picks
        and marks them, inside BEGIN IMMEDIATE on SQLite and with FOR UPDATE SKIP LOCKED on PostgreSQL, so
        concurrent claimers never receive the same row.

        Args:
            limit: Most deliveries to return.
            worker_id: Recorded in `claimed_by` (e.g. the flow run id).
            lease_seconds: How long the claim holds before another worker may take the row over.
            topics: Which deliveries this worker handles (the order sync's by default; the privacy flow
                claims the compliance topics).

        Returns:
            The claimed deliveries (status "claimed", attempts incremented), oldest first.
        """
        now = self._clock()
        table = self._table
        eligible = (
            select(table.c.webhook_id)
            .where(self._claimable(now, topics))
            .order_by(table.c.received_at, table.c.webhook_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(table)
            .where(table.c.webhook_id.in_(eligible.scalar_subquery()))
            .values(
                status="claimed",
                claimed_by=worker_id,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=table.c.attempts + 1,
            )
            .returning(*table.c)
        )
        with write_transaction(self._engine) as connection:
            rows = connection.execute(statement).all()
        claimed = [Delivery(**row._mapping) for row in rows]
        return sorted(claimed, key=lambda delivery: (delivery.received_at, delivery.webhook_id))

    def finish(self, webhook_id: str, status: FinalStatus, reason: str | None = None) -> bool:
        """Record a delivery's outcome: synced, skipped (reason = the rule) or failed (reason = the error).

        Returns:
            False when no such delivery exists.
        """
        values = {"status": status, "reason": reason, "finished_at": self._clock(), "lease_until": None}
        return self._set(self._table.c.webhook_id == webhook_id, values) == 1

    def release(self, webhook_ids: Iterable[str], worker_id: str) -> int:
        """Hand claimed deliveries back to pending without counting an outcome (e.g. a run is shutting down).

        Only rows still claimed by `worker_id` are released, so a worker whose lease expired cannot undo a
        newer claim. Returns how many rows were released.
        """
        table = self._table
        condition = and_(
            table.c.webhook_id.in_(list(webhook_ids)),
            table.c.status == "claimed",
            table.c.claimed_by == worker_id,
        )
        return self._set(condition, {"status": "pending", "claimed_by": None, "lease_until": None})

    def requeue(self, webhook_ids: Iterable[str] | None = None) -> int:
        """Put failed deliveries back to pending for `shopsync replay`.

        Args:
            webhook_ids: Which failed deliveries to replay; None replays every failed delivery.

        Returns:
            How many deliveries were requeued (ids that are not failed are left alone).
        """
        table = self._table
        condition: ColumnElement[bool] = table.c.status == "failed"
        if webhook_ids is not None:
            condition = and_(condition, table.c.webhook_id.in_(list(webhook_ids)))
        values = {"status": "pending", "reason": None, "finished_at": None, "claimed_by": None}
        return self._set(condition, values | {"lease_until": None})

    def get(self, webhook_id: str) -> Delivery | None:
        """One delivery by webhook id, or None."""
        statement = select(self._table).where(self._table.c.webhook_id == webhook_id)
        with self._engine.connect() as connection:
            row = connection.execute(statement).first()
        return None if row is None else Delivery(**row._mapping)

    def counts(self) -> dict[DeliveryStatus, int]:
        """How many deliveries are in each status (every status present, zero when none)."""
        statement = select(self._table.c.status, func.count()).group_by(self._table.c.status)
        with self._engine.connect() as connection:
            found = {status: count for status, count in connection.execute(statement).all()}
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def failed(self, limit: int = 100) -> list[Delivery]:
        """The most recently failed deliveries, newest first, with their reasons."""
        table = self._table
        statement = (
            select(table)
            .where(table.c.status == "failed")
            .order_by(table.c.finished_at.desc(), table.c.webhook_id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [Delivery(**row._mapping) for row in connection.execute(statement).all()]

    def pending_count(self, topics: frozenset[str] = SYNC_TOPICS) -> int:
        """How many deliveries of `topics` a claim would pick up now (pending, or claimed past its lease)."""
        condition = self._claimable(self._clock(), topics)
        statement = select(func.count()).select_from(self._table).where(condition)
        with self._engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def purge_payloads(self, older_than: datetime) -> int:
        """Drop the payload (and its PII) of finished deliveries received before `older_than`.

        Failed deliveries keep theirs so they can still be replayed. Returns how many payloads were dropped.
        """
        table = self._table
        condition = and_(
            table.c.received_at < older_than,
            table.c.status.in_(["synced", "skipped", "ignored"]),
            table.c.payload.is_not(None),
        )
        return self._set(condition, {"payload": None})

    def _claimable(self, now: datetime, topics: frozenset[str]) -> ColumnElement[bool]:
        table = self._table
        expired = and_(table.c.status == "claimed", table.c.lease_until < now)
        return and_(or_(table.c.status == "pending", expired), table.c.topic.in_(sorted(topics)))

    def _set(self, condition: ColumnElement[bool], values: dict[str, Any]) -> int:
        with write_transaction(self._engine) as connection:
            return connection.execute(update(self._table).where(condition).values(values)).rowcount
