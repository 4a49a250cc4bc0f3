"""The webhook sender: Shopify's signature, headers, retry schedule, duplicates and payloads."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.seed import SeedData, generate_store
from sandbox.shopify.sender import RETRY_DELAYS_SECONDS, Delivery, WebhookSender, build_delivery
from sandbox.shopify.signing import sign, verify

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 but the project pins httpx; the TestClient still works with it.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "shpss_sandbox_secret"
ADDRESS = "https://receiver.test/webhooks/shopify"
HOUR_AS_SECOND = 1 / 3600


class Receiver:
    """A tiny webhook endpoint that records every request and fails the first `failures` with `status`."""

    def __init__(self, failures: int = 0, status: int = 500) -> None:
        self.failures = failures
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        app = Starlette(routes=[Route("/webhooks/shopify", self._handle, methods=["POST"])])
        self.client = TestClient(app, base_url="https://receiver.test")

    async def _handle(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), await request.body()))
        if len(self.requests) <= self.failures:
            return Response(status_code=self.status)
        return Response(status_code=200)

    def header(self, name: str) -> list[str]:
        return [headers[name.lower()] for headers, _ in self.requests]


def _sender(http: httpx.Client, waits: list[float] | None = None) -> WebhookSender:
    return WebhookSender(
        http,
        ADDRESS,
        SECRET,
        "shopsync-demo.myshopify.com",
        time_scale=HOUR_AS_SECOND,
        sleep=(waits if waits is not None else []).append,
        clock=lambda: datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def store() -> SeedData:
    return generate_store()


def _vectors(reference_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((reference_dir / "shopify" / "hmac_test_vectors.json").read_text())
    return loaded


def test_signature_matches_every_reference_vector(reference_dir):
    """sign() reproduces each published/locally computed X-Shopify-Hmac-Sha256 over the exact body bytes."""
    vectors = _vectors(reference_dir)["vectors"]
    assert vectors
    for vector in vectors:
        body = vector["body"].encode("utf-8")
        assert sign(body, vector["secret"]) == vector["expected_x_shopify_hmac_sha256"], vector["name"]
        assert verify(body, vector["expected_x_shopify_hmac_sha256"], ["old-secret", vector["secret"]])


def test_negative_vectors_fail_verification(reference_dir):
    """A hex digest, or the signature of re-serialised JSON, does not verify."""
    for case in _vectors(reference_dir)["negative_cases"]:
        assert (
            verify(case["body"].encode("utf-8"), case["header"], [case["secret"]]) is case["expected_valid"]
        )


def test_delivery_carries_shopify_headers_and_a_valid_signature(reference_dir, store):
    """Every documented header is sent; the HMAC verifies over the raw body with the app secret."""
    receiver = Receiver()
    order = store.orders[0]
    result = _sender(receiver.client).deliver("orders/paid", build_delivery("orders/paid", order))
    assert result.delivered and result.attempts == 1
    headers, body = receiver.requests[0]
    reference = json.loads((reference_dir / "shopify" / "webhook_headers_reference.json").read_text())
    for name in reference["required_by_shopify_app_js_validator"] + [
        "X-Shopify-Triggered-At",
        "X-Shopify-Event-Id",
    ]:
        assert name.lower() in headers, name
    assert verify(body, headers["x-shopify-hmac-sha256"], [SECRET])
    assert headers["x-shopify-topic"] == "orders/paid"
    assert headers["x-shopify-webhook-id"] == result.webhook_id
    assert headers["x-shopify-api-version"] == "2026-04"
    assert headers["x-shopify-shop-domain"] == "shopsync-demo.myshopify.com"
    assert headers["x-shopify-triggered-at"] == "2026-11-27T12:00:00.123456Z"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Shopify-Captain-Hook"


def test_int64_ids_are_exact_json_integers_in_the_body(store):
    """The body writes ids digit for digit, so a strict parser gets back the very same ints."""
    receiver = Receiver()
    order = store.orders[-1]
    _sender(receiver.client).deliver("orders/paid", order)
    body = receiver.requests[0][1]
    assert f'"id":{order["id"]},'.encode() in body
    parsed = json.loads(body)
    assert parsed["id"] == order["id"] and parsed["id"] > 2**53
    assert parsed == order


def test_failed_deliveries_are_retried_on_the_compressed_schedule_with_the_same_id_and_bytes(store):
    """Three 500s, then success: four attempts, waits of the first three (scaled) delays, one webhook id."""
    receiver, waits = Receiver(failures=3), list[float]()
    result = _sender(receiver.client, waits).deliver("orders/updated", store.orders[1])
    assert result.statuses == (500, 500, 500, 200) and result.delivered
    assert waits == pytest.approx([d * HOUR_AS_SECOND for d in RETRY_DELAYS_SECONDS[:3]])
    assert set(receiver.header("X-Shopify-Webhook-Id")) == {result.webhook_id}
    assert set(receiver.header("X-Shopify-Triggered-At")) == {receiver.header("X-Shopify-Triggered-At")[0]}
    assert len({body for _, body in receiver.requests}) == 1


def test_a_receiver_that_never_succeeds_gets_eight_retries_over_four_hours(store):
    """Non-2xx (including redirects) fails; after 1 + 8 attempts spread over 4 scaled hours it gives up."""
    receiver, waits = Receiver(failures=100, status=302), list[float]()
    result = _sender(receiver.client, waits).deliver("orders/paid", store.orders[2])
    assert result.attempts == 9 and not result.delivered and result.status == 302
    assert sum(waits) == pytest.approx(4.0)
    assert waits == sorted(waits) and waits[1] == pytest.approx(2 * waits[0])


def test_timeouts_and_connection_errors_count_as_failures(store):
    """A timed-out or refused attempt is recorded as None and retried."""
    outcomes: list[Exception | int] = [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), 200]
    seen_timeouts = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_timeouts.append(request.extensions["timeout"])
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        result = _sender(http).deliver("orders/paid", store.orders[3])
    assert result.statuses == (None, None, 200)
    assert seen_timeouts[0] == {"connect": 1.0, "read": 5.0, "write": 5.0, "pool": 5.0}


def test_duplicates_share_a_webhook_id_and_shuffling_is_seeded(store):
    """Each delivery is repeated with its own id; a shuffle seed fixes a send order other than the input's."""
    orders = store.orders[:6]

    def send(seed: int | None) -> list[str]:
        receiver = Receiver()
        deliveries = [Delivery("orders/paid", o, webhook_id=f"wh-{i}") for i, o in enumerate(orders)]
        results = _sender(receiver.client).deliver_many(deliveries, duplicates=3, shuffle_seed=seed)
        assert all(r.delivered for r in results) and len(receiver.requests) == 18
        assert [r.webhook_id for r in results] == receiver.header("X-Shopify-Webhook-Id")
        return receiver.header("X-Shopify-Webhook-Id")

    in_order = send(None)
    assert in_order == [f"wh-{i}" for i in range(6) for _ in range(3)]
    assert send(5) == send(5) != in_order
    assert sorted(send(5)) == sorted(in_order)


def test_generated_ids_are_fresh_per_delivery_but_shared_by_duplicates(store):
    """Without explicit ids, two deliveries get different webhook ids and each duplicate keeps its own."""
    receiver = Receiver()
    pairs = [("orders/paid", store.orders[0]), ("orders/paid", store.orders[1])]
    results = _sender(receiver.client).deliver_many(pairs, duplicates=2)
    assert results[0].webhook_id == results[1].webhook_id != results[2].webhook_id == results[3].webhook_id
    assert results[0].event_id == results[1].event_id


def test_bad_signature_does_not_verify_with_the_app_secret(store):
    """A deliberately bad signature is well-formed base64 but fails verification."""
    receiver = Receiver()
    _sender(receiver.client).deliver("orders/paid", store.orders[0], bad_signature=True)
    headers, body = receiver.requests[0]
    assert not verify(body, headers["x-shopify-hmac-sha256"], [SECRET])
    assert len(headers["x-shopify-hmac-sha256"]) == 44


def test_build_delivery_shapes_each_topic(store):
    """Order topics send the order, refunds/create its refund, customers/redact the GDPR body."""
    refunded = next(o for o in store.orders if o["refunds"])
    refund = build_delivery("refunds/create", refunded)
    assert refund == refunded["refunds"][-1] and refund["order_id"] == refunded["id"]
    assert refund["refund_line_items"] and refund["transactions"]
    cancelled = next(o for o in store.orders if o["cancelled_at"])
    payload = build_delivery("orders/cancelled", cancelled)
    # The order as the store has it, completed with the payload keys the seed leaves out.
    assert {key: payload[key] for key in cancelled if key != "line_items"} == {
        key: value for key, value in cancelled.items() if key != "line_items"
    }
    assert [item["id"] for item in payload["line_items"]] == [item["id"] for item in cancelled["line_items"]]
    payload["id"] = 1
    assert cancelled["id"] != 1
    with_customer = next(o for o in store.orders if o["customer"])
    redact = build_delivery("customers/redact", with_customer)
    assert set(redact) == {"shop_id", "shop_domain", "customer", "orders_to_redact"}
    assert redact["customer"]["id"] == with_customer["customer"]["id"]
    assert redact["orders_to_redact"] == [with_customer["id"]]


def test_build_delivery_refuses_what_shopify_would_never_send(store):
    """Unknown topics, refunds of unrefunded orders and redactions without a customer are errors."""
    unrefunded = next(o for o in store.orders if not o["refunds"])
    with pytest.raises(ValueError, match="no refund"):
        build_delivery("refunds/create", unrefunded)
    guest = next(o for o in store.orders if o["customer"] is None)
    with pytest.raises(ValueError, match="no customer"):
        build_delivery("customers/redact", guest)
    with pytest.raises(ValueError, match="unsupported"):
        build_delivery("orders/teleported", unrefunded)
