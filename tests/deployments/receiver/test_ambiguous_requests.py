"""Requests the receiver cannot read one way only: repeated security headers, and bodies cut off mid-way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app
from deployments.receiver.run_trigger import NullRunTrigger
from tasks.shopify.webhooks import REQUIRED_HEADERS
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Inbox
from tests.deployments.receiver.signed_deliveries import (
    CURRENT_SECRET,
    ORDER_BODY,
    WEBHOOK_ID,
    TestClient,
    receiver_settings,
    shopify_headers,
    sign,
)


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    engine = make_engine(f"sqlite:///{tmp_path / 'receiver.db'}")
    create_schema(engine)
    yield Inbox(engine)
    engine.dispose()


@pytest.fixture
def app(inbox: Inbox) -> Starlette:
    return create_receiver_app(receiver_settings(), inbox, NullRunTrigger())


def _repeated(name: str, copy_name: str, extra_value: str) -> list[tuple[str, str]]:
    """Genuine headers for ORDER_BODY plus a second copy of `name`, sent as `copy_name`."""
    genuine = list(shopify_headers(ORDER_BODY).items())
    at = next(index for index, (key, _) in enumerate(genuine) if key.lower() == name.lower())
    return [*genuine[: at + 1], (copy_name, extra_value), *genuine[at + 1 :]]


# For each security header: a second copy that is the same value, a forged one, and another spelling.
CASES = [
    (name, copy_name, value)
    for name in REQUIRED_HEADERS
    for copy_name, value in [
        (name, "same-as-first" if name != "X-Shopify-Hmac-Sha256" else sign(ORDER_BODY, CURRENT_SECRET)),
        (name.lower(), "forged"),
        (name.removeprefix("X-"), "other-spelling"),
    ]
]


@pytest.mark.parametrize(("name", "copy_name", "value"), CASES)
def test_a_repeated_security_header_is_refused_even_with_one_valid_copy(
    app: Starlette, inbox: Inbox, name: str, copy_name: str, value: str
) -> None:
    """Two copies of a header that decides trust → 400 ambiguous_headers naming it; nothing is stored."""
    headers = _repeated(name, copy_name, value)
    with TestClient(app) as client:
        response = client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == "ambiguous_headers"
    assert name in response.json()["detail"]
    assert sum(inbox.counts().values()) == 0


def test_the_same_request_with_one_copy_of_each_is_accepted(app: Starlette, inbox: Inbox) -> None:
    """The check is about repeats only: the genuine delivery itself is still stored."""
    with TestClient(app) as client:
        response = client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    assert response.status_code == 200
    assert inbox.get(WEBHOOK_ID) is not None


def _post_and_disconnect(app: Starlette, headers: dict[str, str], sent_part: bytes) -> list[Message]:
    """Drive the ASGI app as uvicorn does when the client closes its socket after part of the body."""
    incoming: list[Message] = [
        {"type": "http.request", "body": sent_part, "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": WEBHOOK_PATH,
        "raw_path": WEBHOOK_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(key.lower().encode(), value.encode()) for key, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    answered: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answered.append(message)

    asyncio.run(app(scope, receive, send))
    return answered


@pytest.mark.parametrize("with_id", [True, False])
def test_a_client_that_disconnects_mid_body_leaves_one_log_line_and_nothing_stored(
    app: Starlette, inbox: Inbox, caplog: pytest.LogCaptureFixture, with_id: bool
) -> None:
    """A body cut off mid-way is logged once (with the webhook id when sent), without a traceback."""
    headers = shopify_headers(ORDER_BODY, **({} if with_id else {"X-Shopify-Webhook-Id": None}))
    caplog.set_level(logging.DEBUG)

    _post_and_disconnect(app, headers, ORDER_BODY[: len(ORDER_BODY) // 2])

    ours = [record for record in caplog.records if record.name != "asyncio"]  # asyncio notes its selector
    assert [record.getMessage() for record in ours] == [
        f"webhook not received: client disconnected mid-body (webhook_id={WEBHOOK_ID if with_id else ''!r})"
    ]
    assert all(record.exc_info is None for record in caplog.records)
    assert "Traceback" not in caplog.text
    assert sum(inbox.counts().values()) == 0
