"""The webhook inbox: durable, deduplicated, and safe to claim from two sync runs at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from tasks.store.db import make_engine
from tasks.store.inbox import Delivery, Inbox
from tests.tasks.store.db_backends import BACKENDS, open_engine

START = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PeerInboxes = Callable[[int], list[Inbox]]


class Clock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    yield from open_engine(request.param, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inbox(engine: Engine, clock: Clock) -> Inbox:
    return Inbox(engine, clock=clock)


def delivery(number: int, *, topic: str = "orders/paid", status: str = "pending", payload: str | None = None):
    """A delivery received `number` seconds after START, for order 2**60 + number (beyond float precision)."""
    order_id = 2**60 + number
    return Delivery(
        webhook_id=f"wh-{number:04d}",
        topic=topic,
        shop_domain="shopsync-demo.myshopify.com",
        received_at=START + timedelta(seconds=number),
        payload=payload or f'{{"id":{order_id}}}',
        api_version="2026-04",
        order_id=order_id,
        status=status,  # type: ignore[arg-type]
    )


@pytest.fixture
def peer_inboxes(engine: Engine) -> Iterator[Callable[[int], list[Inbox]]]:
    """Inboxes on their own engines over the same database, like separate processes (no shared pool/lock)."""
    url = engine.url.render_as_string(hide_password=False)
    peers: list[Engine] = []

    def make(count: int) -> list[Inbox]:
        peers.extend(make_engine(url) for _ in range(count))
        return [Inbox(peer) for peer in peers[-count:]]

    yield make
    for peer in peers:
        peer.dispose()


def webhook_ids(count: int) -> list[str]:
    """The webhook ids `fill(inbox, count)` adds."""
    return [delivery(number).webhook_id for number in range(count)]


def fill(inbox: Inbox, count: int) -> list[str]:
    """Add `count` pending deliveries and return their webhook ids."""
    for number in range(count):
        assert inbox.add(delivery(number))
    return webhook_ids(count)


def test_add_stores_a_delivery_once(inbox: Inbox) -> None:
    """A duplicate webhook id answers False and leaves the first stored delivery untouched."""
    first = delivery(1)
    assert inbox.add(first) is True
    assert inbox.add(delivery(1, payload='{"id":1,"changed":true}')) is False

    stored = inbox.get(first.webhook_id)
    assert stored == first
    assert inbox.counts()["pending"] == 1


def test_stored_delivery_round_trips_exactly(inbox: Inbox) -> None:
    """Int64 ids, raw payload text and offset timestamps come back exactly (times as aware UTC)."""
    eastern = timezone(timedelta(hours=-4))
    original = Delivery(
        webhook_id="b1234-eefd-4c9e-9520-049845a02082",
        topic="orders/paid",
        shop_domain="shopsync-demo.myshopify.com",
        received_at=datetime(2026, 4, 1, 8, 30, 0, 123456, tzinfo=eastern),
        payload='{"id":820982911946154508,"name":"Zoë"}',
        triggered_at=datetime(2026, 4, 1, 8, 29, 59, tzinfo=eastern),
        event_id="evt-1",
        order_id=820982911946154508,
    )
    inbox.add(original)

    stored = inbox.get(original.webhook_id)
    assert stored is not None
    assert stored.received_at == original.received_at
    assert stored.received_at.tzinfo == UTC
    assert stored.triggered_at == original.triggered_at
    assert stored.order_id == 820982911946154508
    assert stored.payload_object() == {"id": 820982911946154508, "name": "Zoë"}


def test_concurrent_adds_of_one_webhook_store_it_once(inbox: Inbox, peer_inboxes: PeerInboxes) -> None:
    """Receivers in separate processes racing on one webhook id: exactly one of them sees it as new."""
    receivers = peer_inboxes(4)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def add(receiver: Inbox) -> None:
        barrier.wait()
        results.append(receiver.add(delivery(7)))

    threads = [threading.Thread(target=add, args=(receiver,)) for receiver in receivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert sum(inbox.counts().values()) == 1


def test_add_many_reports_each_delivery_new_or_duplicate(inbox: Inbox) -> None:
    """One call: new ids answer True, ids already stored or repeated earlier in the call answer False."""
    inbox.add(delivery(1))
    repeat = delivery(2, payload='{"id":2,"repeat":true}')

    added = inbox.add_many([delivery(1), delivery(2), delivery(3), repeat, delivery(2)])

    assert added == [False, True, True, False, False]
    assert inbox.get(repeat.webhook_id) == delivery(2)
    assert sum(inbox.counts().values()) == 3


def test_add_many_of_nothing_stores_nothing(inbox: Inbox) -> None:
    """An empty group is a no-op."""
    assert inbox.add_many([]) == []
    assert sum(inbox.counts().values()) == 0


def test_claim_leases_the_oldest_pending_deliveries(inbox: Inbox, clock: Clock) -> None:
    """A claim takes the oldest pending rows up to the limit and marks them claimed by that worker."""
    for number in (3, 1, 2, 0):
        inbox.add(delivery(number))
    inbox.add(delivery(9, topic="customers/update", status="ignored"))

    claimed = inbox.claim(limit=3, worker_id="run-a", lease_seconds=60)

    assert [item.webhook_id for item in claimed] == ["wh-0000", "wh-0001", "wh-0002"]
    assert {item.status for item in claimed} == {"claimed"}
    assert {item.claimed_by for item in claimed} == {"run-a"}
    assert {item.attempts for item in claimed} == {1}
    assert {item.lease_until for item in claimed} == {clock.now + timedelta(seconds=60)}
    assert [item.webhook_id for item in inbox.claim(10, "run-b", 60)] == ["wh-0003"]
    assert inbox.claim(10, "run-c", 60) == []
    assert inbox.counts() == {
        "pending": 0,
        "claimed": 4,
        "synced": 0,
        "skipped": 0,
        "failed": 0,
        "ignored": 1,
    }


def test_two_concurrent_claimers_never_claim_a_row_twice(inbox: Inbox, peer_inboxes: PeerInboxes) -> None:
    """Two sync runs (own engines, as in two processes) claiming at once split the rows without overlap."""
    webhook_ids = fill(inbox, 120)
    claimers = dict(zip(("a", "b"), peer_inboxes(2), strict=True))
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def drain(worker: str) -> None:
        barrier.wait()
        while batch := claimers[worker].claim(limit=7, worker_id=worker, lease_seconds=300):
            claimed[worker].extend(item.webhook_id for item in batch)

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = claimed["a"] + claimed["b"]
    assert sorted(everything) == webhook_ids
    assert len(set(everything)) == len(everything)
    assert inbox.counts()["claimed"] == 120


def test_an_expired_lease_is_claimed_again(inbox: Inbox, clock: Clock) -> None:
    """A crashed run's claims come back after the lease; the old owner can no longer release them."""
    fill(inbox, 2)
    inbox.claim(limit=2, worker_id="crashed", lease_seconds=30)
    assert inbox.claim(limit=2, worker_id="second", lease_seconds=30) == []
    assert inbox.pending_count() == 0

    clock.advance(31)
    assert inbox.pending_count() == 2
    reclaimed = inbox.claim(limit=2, worker_id="second", lease_seconds=30)

    assert [item.claimed_by for item in reclaimed] == ["second", "second"]
    assert [item.attempts for item in reclaimed] == [2, 2]
    assert inbox.release(["wh-0000", "wh-0001"], worker_id="crashed") == 0
    assert inbox.counts()["claimed"] == 2


def test_release_returns_claimed_deliveries_to_pending(inbox: Inbox) -> None:
    """The owner can hand back a claim; the delivery is then claimable right away."""
    fill(inbox, 1)
    inbox.claim(limit=1, worker_id="run-a", lease_seconds=300)

    assert inbox.release(["wh-0000"], worker_id="run-a") == 1

    assert [item.webhook_id for item in inbox.claim(1, "run-b", 300)] == ["wh-0000"]


def test_finish_records_outcomes_and_reasons(inbox: Inbox, clock: Clock) -> None:
    """Each delivery ends synced, skipped (with the rule) or failed (with the reason), and counts show it."""
    fill(inbox, 3)
    inbox.claim(limit=3, worker_id="run-a", lease_seconds=60)
    clock.advance(5)

    inbox.finish("wh-0000", "synced")
    inbox.finish("wh-0001", "skipped", reason="test order")
    inbox.finish("wh-0002", "failed", reason="HubSpot 400 INVALID_EMAIL")

    assert inbox.finish("no-such-webhook", "synced") is False
    counts = inbox.counts()
    assert (counts["synced"], counts["skipped"], counts["failed"], counts["claimed"]) == (1, 1, 1, 0)
    skipped = inbox.get("wh-0001")
    assert skipped is not None and skipped.reason == "test order" and skipped.finished_at == clock.now
    assert [(item.webhook_id, item.reason) for item in inbox.failed()] == [
        ("wh-0002", "HubSpot 400 INVALID_EMAIL")
    ]
    assert inbox.claim(limit=10, worker_id="run-b", lease_seconds=60) == []


def test_requeue_replays_failed_deliveries(inbox: Inbox) -> None:
    """Replay by id requeues only those failed deliveries; replay without ids requeues every failed one."""
    fill(inbox, 4)
    inbox.claim(limit=4, worker_id="run-a", lease_seconds=60)
    for webhook_id in ("wh-0000", "wh-0001", "wh-0002"):
        inbox.finish(webhook_id, "failed", reason="boom")
    inbox.finish("wh-0003", "synced")

    assert inbox.requeue(["wh-0001", "wh-0003"]) == 1
    assert [item.webhook_id for item in inbox.claim(10, "run-b", 60)] == ["wh-0001"]

    assert inbox.requeue() == 2
    replayed = inbox.claim(10, "run-c", 60)
    assert [item.webhook_id for item in replayed] == ["wh-0000", "wh-0002"]
    assert {item.reason for item in replayed} == {None}
    assert inbox.get("wh-0003").status == "synced"  # type: ignore[union-attr]


def test_purge_payloads_keeps_what_may_still_be_needed(inbox: Inbox) -> None:
    """Retention drops old finished payloads but keeps failed (replayable) and pending ones."""
    fill(inbox, 4)
    inbox.claim(limit=3, worker_id="run-a", lease_seconds=60)
    inbox.finish("wh-0000", "synced")
    inbox.finish("wh-0001", "failed", reason="boom")
    inbox.finish("wh-0002", "skipped", reason="test order")
    inbox.add(delivery(30, topic="products/update", status="ignored"))

    purged = inbox.purge_payloads(older_than=START + timedelta(seconds=10))

    assert purged == 2
    stored = [inbox.get(webhook_id) for webhook_id in [*webhook_ids(4), "wh-0030"]]
    kept = {item.webhook_id: item.payload is not None for item in stored if item is not None}
    assert kept == {"wh-0000": False, "wh-0001": True, "wh-0002": False, "wh-0003": True, "wh-0030": True}
