"""Drill 5 — hostile input: over 12,000 fuzzed requests get precise answers and leave no trace.

Load: 12,050 hypothesis-generated requests against the receiver of a whole installation (sandbox Shopify
and HubSpot on loopback, SQLite inbox), and 60 raw-socket clients that hang up mid-body against the same
receiver behind a real uvicorn. Faults: forged, missing and rotated-out signatures; missing headers;
security headers sent more than once (one valid copy among several); impossible X-Shopify-Triggered-At
values; unknown shops; non-JSON media types; invalid UTF-8; JSON of the wrong shape (non-objects, bad/absurd
ids, NaN, 20,000-digit numbers, 250,000-deep nesting); truncated bodies; bodies over 1 MiB, declared or
streamed; unknown topics; correctly signed orders with impossible values (negative money, unknown currency,
times without offset, zero/negative/over-int64 ids, unknown financial status, absurd quantities).
Expected: every refusal is the precise 4xx with its error code, unknown topics are 200 "ignored", never a
5xx, no refused request in the inbox; signed-but-impossible orders are stored and end `failed` naming the
field; one log line per disconnect and no traceback; no HubSpot write; the receiver still healthy and
syncing afterwards.
"""

from __future__ import annotations

import hmac
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.applications import Starlette

from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app
from deployments.receiver.run_trigger import NullRunTrigger
from flows.sync_orders import sync_shopify_orders
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.inbox import webhook_deliveries
from tests.drills import hostile_bodies, hostile_headers, hostile_values
from tests.drills.hostile_requests import REFUSED_PREFIX, HostileRequest, Shop, disconnect_mid_body
from tests.flows.world import WEBHOOK_SECRET, World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")

Strategy = Callable[[Shop], st.SearchStrategy[HostileRequest]]
# Examples per strategy; together they are the drill's load (asserted below to be at least 10,000).
LOAD: dict[str, tuple[Strategy, int]] = {
    "forged_signature": (hostile_headers.forged_signature, 2500),
    "missing_headers": (hostile_headers.missing_headers, 1000),
    "bad_triggered_at": (hostile_headers.bad_triggered_at, 500),
    "unknown_shop": (hostile_headers.unknown_shop, 700),
    "wrong_content_type": (hostile_headers.wrong_content_type, 1000),
    "invalid_utf8": (hostile_bodies.invalid_utf8, 1000),
    "wrong_shape": (hostile_bodies.wrong_shape, 1800),
    "truncated": (hostile_bodies.truncated, 1000),
    "oversized": (hostile_bodies.oversized, 50),
    "unknown_topic": (hostile_bodies.unknown_topic, 500),
    "repeated_headers": (hostile_headers.repeated_headers, 1000),
    "impossible_values": (hostile_values.impossible_values, 1000),
}
SENT: Counter[str] = Counter()
ALLOWED_STATUSES = {200, 400, 401, 403, 413, 415}
# Stored deliveries of the impossible-values class → the field their failure must name.
MUST_FAIL: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        with build_world(tmp_path_factory.mktemp("hostile"), patch) as built:
            yield built


@pytest.fixture(scope="module")
def shop(world: World) -> Shop:
    return Shop(WEBHOOK_SECRET, world.sandbox.seed.shop.domain, world.sandbox.seed.orders)


def _hubspot_snapshot(world: World) -> list[tuple[str, dict[str, str | None]]]:
    return [(contact.id, dict(contact.properties)) for contact in world.sandbox.hubspot_store.contacts()]


def _send(world: World, request: HostileRequest) -> None:
    headers = request.headers if isinstance(request.headers, list) else dict(request.headers)
    response = world.receiver.post(WEBHOOK_PATH, content=request.content(), headers=headers)
    assert response.status_code < 500, (response.status_code, response.text, request.headers)
    body = response.json()
    assert response.status_code == request.status, (body, request.headers)
    if request.refused:
        # Whether it was stored is checked once for all of them (by id prefix) after the fuzz.
        assert body["error"] == request.error and body["detail"], body
    elif request.failed_field is not None:
        assert body["status"] == "accepted", body
        MUST_FAIL[request.webhook_id] = request.failed_field
    else:
        assert body["status"] in {"ignored", "duplicate"}, body


def test_the_load_is_at_least_ten_thousand_requests() -> None:
    """The configured fuzz sends at least 12,000 requests in total."""
    assert sum(examples for _, examples in LOAD.values()) >= 12_000


@pytest.mark.parametrize("name", LOAD)
def test_each_hostile_request_gets_its_precise_answer(world: World, shop: Shop, name: str) -> None:
    """Every fuzzed request gets exactly the status and error code its defect calls for, never a 5xx."""
    strategy, examples = LOAD[name]
    SENT[name] = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(strategy(shop))
    def fuzz(request: HostileRequest) -> None:
        SENT[name] += 1
        _send(world, request)

    fuzz()
    assert SENT[name] >= examples


def test_after_the_fuzz_nothing_refused_was_stored_and_hubspot_is_untouched(world: World) -> None:
    """No refused request was stored, syncing the rest writes nothing, and a real order still syncs."""
    with database(get_settings().sqlalchemy_url).connect() as connection:
        refused_rows = connection.execute(
            select(func.count())
            .select_from(webhook_deliveries)
            .where(webhook_deliveries.c.webhook_id.startswith(REFUSED_PREFIX))
        ).scalar_one()
    assert refused_rows == 0
    before = _hubspot_snapshot(world)

    sync_shopify_orders()

    assert _hubspot_snapshot(world) == before
    _assert_every_impossible_order_failed_naming_its_field(world)
    assert world.receiver.get("/healthz").json()["status"] == "ok"
    order = next(o for o in world.sandbox.seed.orders if o["customer"] and o["financial_status"] == "paid")
    assert world.deliver("orders/paid", order["id"], "genuine-after-fuzz") == 200
    sync_shopify_orders()
    assert world.contact_of(order["customer"]["id"]) is not None


def _assert_every_impossible_order_failed_naming_its_field(world: World) -> None:
    """Every signed-but-impossible delivery is stored, ended `failed`, and its reason names the field."""
    assert len(MUST_FAIL) >= LOAD["impossible_values"][1] // 2
    outcomes: Counter[str] = Counter()
    for webhook_id, field in MUST_FAIL.items():
        delivery = world.inbox.get(webhook_id)
        assert delivery is not None, webhook_id
        assert delivery.status == "failed", (webhook_id, delivery.status, delivery.reason)
        assert delivery.reason and delivery.reason.startswith(f"invalid payload: {field}"), delivery.reason
        outcomes[re.sub(r"\[\d+\]", "[]", field)] += 1
    print(f"\nrequests per class: {dict(SENT)}")
    print(f"impossible values: {len(MUST_FAIL)} stored, all failed naming the field: {dict(outcomes)}")


def test_signatures_are_compared_in_constant_time(
    world: World, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged signature is checked with hmac.compare_digest, never with ==, so timing leaks nothing."""
    compared: list[bytes] = []
    real_compare = hmac.compare_digest

    def recording_compare(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real_compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording_compare)
    body = shop.body_of(0)
    headers = shop.headers(body)
    headers["X-Shopify-Hmac-Sha256"] = "forged-signature"

    assert world.receiver.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 401
    assert compared == [b"forged-signature"]


DISCONNECT_PREFIX = "disconnected-"
DISCONNECTS = 60


@contextmanager
def _served(app: Starlette) -> Iterator[tuple[str, int]]:
    """The app behind a real uvicorn on a loopback port (logging left to the test's handlers)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield listener.getsockname()
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def test_clients_that_disconnect_mid_body_leave_one_line_each_and_nothing_stored(
    world: World, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """60 raw-socket clients send every header and part of a signed body, then hang up: the receiver's log
    has exactly one line per disconnect (naming the webhook id when it was sent), no traceback anywhere,
    and nothing of theirs is stored."""
    app = create_receiver_app(get_settings(), world.inbox, NullRunTrigger())
    caplog.set_level(logging.INFO)
    sent_ids: list[str] = []
    with _served(app) as address:
        for number in range(DISCONNECTS):
            body = shop.body_of(number)
            webhook_id = f"{DISCONNECT_PREFIX}{number}"
            headers = shop.headers(body, webhook_id=webhook_id)
            if number % 5 == 4:
                del headers["X-Shopify-Webhook-Id"]
            else:
                sent_ids.append(webhook_id)
            cut = number * 7919 % len(body)  # from nothing to all but the last byte
            disconnect_mid_body(address, WEBHOOK_PATH, headers, body, cut, chunked=number % 2 == 1)
        deadline = time.monotonic() + 10
        while len(_disconnect_lines(caplog)) < DISCONNECTS and time.monotonic() < deadline:
            time.sleep(0.05)

    lines = _disconnect_lines(caplog)
    assert len(lines) == DISCONNECTS
    assert sorted(line.split("webhook_id=")[1] for line in lines if "''" not in line) == sorted(
        repr(webhook_id) for webhook_id in sent_ids
    )
    assert [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()] == []
    assert "Exception in ASGI application" not in caplog.text
    assert not [w for w in (world.inbox.get(f"{DISCONNECT_PREFIX}{n}") for n in range(DISCONNECTS)) if w]
    print(f"\ndisconnects: {DISCONNECTS} sent, {len(lines)} log lines, 0 tracebacks, 0 stored")


def _disconnect_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage().removesuffix(")")
        for record in caplog.records
        if record.name == "shopsync.receiver" and "client disconnected mid-body" in record.getMessage()
    ]
