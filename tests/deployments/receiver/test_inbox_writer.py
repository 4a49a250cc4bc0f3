"""Group commit: concurrent deliveries share one transaction, yet each request learns its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app
from deployments.receiver.inbox_writer import InboxWriter
from deployments.receiver.run_trigger import NullRunTrigger
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Delivery, Inbox
from tests.deployments.receiver.signed_deliveries import ORDER_BODY, receiver_settings, shopify_headers

RECEIVED_AT = datetime(2026, 4, 1, 16, 0, tzinfo=UTC)


class RecordingInbox(Inbox):
    """A real inbox that notes the webhook ids of each group, optionally holding the first one at a gate."""

    def __init__(self, engine: Engine, gate: threading.Event | None = None) -> None:
        super().__init__(engine)
        self.groups: list[list[str]] = []
        self.writing = threading.Event()
        self._gate = gate

    def add_many(self, deliveries: Sequence[Delivery]) -> list[bool]:
        self.groups.append([delivery.webhook_id for delivery in deliveries])
        self.writing.set()
        if self._gate is not None:
            assert self._gate.wait(timeout=10)
        return super().add_many(deliveries)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writer.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


def delivery(webhook_id: str) -> Delivery:
    return Delivery(
        webhook_id=webhook_id,
        topic="orders/paid",
        shop_domain="shopsync-demo.myshopify.com",
        received_at=RECEIVED_AT,
        payload='{"id":1}',
        order_id=1,
    )


def fail_every_commit(engine: Engine) -> None:
    """Make each COMMIT on `engine` fail, after the INSERTs ran, as a full disk or lost server would."""

    def refuse(_connection: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(engine, "commit", refuse)


def test_concurrent_duplicates_in_one_group_are_accepted_once(engine: Engine) -> None:
    """Five requests with one webhook id in the same group: exactly one is new, one row is stored."""
    inbox = RecordingInbox(engine)
    writer = InboxWriter(inbox)
    batch = [delivery("dup")] * 5 + [delivery("other")]

    async def add_all() -> list[bool]:
        return list(await asyncio.gather(*(writer.add(item) for item in batch)))

    added = asyncio.run(add_all())

    assert inbox.groups == [["dup"] * 5 + ["other"]]
    assert added == [True, False, False, False, False, True]
    assert sum(inbox.counts().values()) == 2


def test_requests_arriving_during_a_commit_form_the_next_group(engine: Engine) -> None:
    """While one transaction runs, newcomers queue up and are then committed together, in order."""
    gate = threading.Event()
    inbox = RecordingInbox(engine, gate)
    writer = InboxWriter(inbox, max_group_size=3)

    async def scenario() -> list[bool]:
        first = asyncio.ensure_future(writer.add(delivery("a")))
        await asyncio.to_thread(inbox.writing.wait)
        later = [asyncio.ensure_future(writer.add(delivery(name))) for name in ("b", "c", "a", "d")]
        await asyncio.sleep(0)
        gate.set()
        return list(await asyncio.gather(first, *later))

    added = asyncio.run(scenario())

    assert inbox.groups == [["a"], ["b", "c", "a"], ["d"]]
    assert added == [True, True, True, False, True]


def test_a_failed_commit_fails_every_request_of_the_group(engine: Engine) -> None:
    """When the group's commit fails, each waiting request gets the error and none of the group is stored."""
    inbox = RecordingInbox(engine)
    writer = InboxWriter(inbox)
    fail_every_commit(engine)

    async def add_all() -> list[bool | BaseException]:
        return await asyncio.gather(
            *(writer.add(delivery(f"w{n}")) for n in range(4)), return_exceptions=True
        )

    outcomes = asyncio.run(add_all())

    assert len(inbox.groups) == 1
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert sum(inbox.counts().values()) == 0


def test_a_request_cancelled_mid_commit_leaves_the_rest_of_its_group_answered(engine: Engine) -> None:
    """One waiter going away does not disturb the others; its delivery is still committed with the group."""
    gate = threading.Event()
    inbox = RecordingInbox(engine, gate)
    writer = InboxWriter(inbox)

    async def scenario() -> list[bool | BaseException]:
        waiters = [asyncio.ensure_future(writer.add(delivery(name))) for name in ("a", "b", "c")]
        await asyncio.to_thread(inbox.writing.wait)
        waiters[1].cancel()
        gate.set()
        return await asyncio.gather(*waiters, return_exceptions=True)

    outcomes = asyncio.run(scenario())

    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert inbox.get("b") is not None


def test_the_receiver_answers_503_to_every_request_of_a_failed_group(engine: Engine) -> None:
    """Concurrent deliveries whose shared commit fails are all refused with 503 and none is stored."""
    inbox = Inbox(engine)
    app = create_receiver_app(receiver_settings(), inbox, NullRunTrigger())
    fail_every_commit(engine)

    async def post_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            posts = [
                client.post(
                    WEBHOOK_PATH,
                    content=ORDER_BODY,
                    headers=shopify_headers(ORDER_BODY, **{"X-Shopify-Webhook-Id": f"webhook-{n}"}),
                )
                for n in range(4)
            ]
            return list(await asyncio.gather(*posts))

    responses = asyncio.run(post_all())

    assert [response.status_code for response in responses] == [503] * 4
    assert {response.json()["error"] for response in responses} == {"inbox_unavailable"}
    assert sum(inbox.counts().values()) == 0
