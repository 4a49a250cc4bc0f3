"""What a failed sync batch does to its deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from tasks.settings import Settings
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Delivery, Inbox
from tasks.sync.tasks import purge_old_payloads, release_deliveries


def _inbox(tmp_path: Path, count: int) -> Inbox:
    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.db'}")
    create_schema(engine)
    inbox = Inbox(engine)
    for index in range(count):
        inbox.add(
            Delivery(
                webhook_id=f"wh-{index}",
                topic="orders/paid",
                shop_domain="shop.myshopify.com",
                received_at=datetime.now(UTC),
                payload="{}",
            )
        )
    return inbox


def test_a_batch_that_keeps_failing_ends_failed_after_the_attempt_limit(tmp_path: Path) -> None:
    """Released for retry until the limit; then failed with the error, where replay can find them."""
    inbox = _inbox(tmp_path, 3)
    runtime = SimpleNamespace(inbox=inbox, settings=Settings(SHOPSYNC_MAX_DELIVERY_ATTEMPTS=2))
    error = RuntimeError("HubSpot 503 after 6 attempts")

    first = inbox.claim(10, "run-1", 60)
    assert release_deliveries.fn(runtime, first, "run-1", error) == 0  # type: ignore[arg-type]
    assert inbox.counts()["pending"] == 3

    second = inbox.claim(10, "run-2", 60)
    assert release_deliveries.fn(runtime, second, "run-2", error) == 3  # type: ignore[arg-type]
    counts = inbox.counts()
    assert (counts["pending"], counts["failed"]) == (0, 3)
    assert inbox.get("wh-0").reason == "gave up after 2 attempts: HubSpot 503 after 6 attempts"  # type: ignore[union-attr]


def test_old_payloads_are_purged_but_failed_ones_kept_for_replay(tmp_path: Path) -> None:
    """Customer data leaves the inbox after the retention period, except where a replay still needs it."""
    inbox = _inbox(tmp_path, 3)
    runtime = SimpleNamespace(inbox=inbox, settings=Settings(SHOPSYNC_PAYLOAD_RETENTION_DAYS=30))
    claimed = inbox.claim(10, "run-1", 60)
    inbox.finish(claimed[0].webhook_id, "synced")
    inbox.finish(claimed[1].webhook_id, "failed", "HubSpot refused")
    inbox.finish(claimed[2].webhook_id, "skipped", "test_order")

    assert purge_old_payloads.fn(runtime, datetime.now(UTC)) == 0  # type: ignore[arg-type]
    assert purge_old_payloads.fn(runtime, datetime.now(UTC) + timedelta(days=31)) == 2  # type: ignore[arg-type]
    assert [inbox.get(f"wh-{i}").payload for i in range(3)] == [None, "{}", None]  # type: ignore[union-attr]
