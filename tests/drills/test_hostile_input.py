"""Drill 5 — hostile input: over 10,000 fuzzed requests get precise answers and leave no trace.

Load: 10,050 hypothesis-generated requests against the receiver of a whole installation (sandbox Shopify
and HubSpot on loopback, SQLite inbox). Faults: forged, missing and rotated-out signatures; missing headers;
impossible X-Shopify-Triggered-At values; unknown shops; non-JSON media types; invalid UTF-8; JSON of the
wrong shape (non-objects, bad/absurd ids, NaN, 20,000-digit numbers, 250,000-deep nesting); truncated
bodies; bodies over 1 MiB, declared or streamed; unknown topics. Expected: every refusal is the precise
4xx with its error code, unknown topics are 200 "ignored", never a 5xx, no refused request in the inbox, no
HubSpot write, and the receiver still healthy and syncing afterwards.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from deployments.receiver.app import WEBHOOK_PATH
from flows.sync_orders import sync_shopify_orders
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.inbox import webhook_deliveries
from tests.drills import hostile_bodies, hostile_headers
from tests.drills.hostile_requests import REFUSED_PREFIX, HostileRequest, Shop
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
}
SENT: Counter[str] = Counter()
ALLOWED_STATUSES = {200, 400, 401, 403, 413, 415}


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
    response = world.receiver.post(WEBHOOK_PATH, content=request.content(), headers=dict(request.headers))
    assert response.status_code < 500, (response.status_code, response.text, request.headers)
    body = response.json()
    assert response.status_code == request.status, (body, request.headers)
    if request.refused:
        # Whether it was stored is checked once for all of them (by id prefix) after the fuzz.
        assert body["error"] == request.error and body["detail"], body
    else:
        assert body["status"] in {"ignored", "duplicate"}, body


def test_the_load_is_at_least_ten_thousand_requests() -> None:
    """The configured fuzz sends at least 10,000 requests in total."""
    assert sum(examples for _, examples in LOAD.values()) >= 10_000


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
    assert world.receiver.get("/healthz").json()["status"] == "ok"
    order = next(o for o in world.sandbox.seed.orders if o["customer"] and o["financial_status"] == "paid")
    assert world.deliver("orders/paid", order["id"], "genuine-after-fuzz") == 200
    sync_shopify_orders()
    assert world.contact_of(order["customer"]["id"]) is not None


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
