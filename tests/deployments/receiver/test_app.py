"""The webhook receiver: every 4xx says what was wrong and stores nothing; verified deliveries land once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from deployments.receiver.app import MAX_BODY_BYTES, WEBHOOK_PATH, create_receiver_app
from deployments.receiver.run_trigger import NullRunTrigger
from tasks.errors import ConfigError
from tasks.store.db import create_schema, make_engine, metadata
from tasks.store.inbox import Inbox
from tests.deployments.receiver.signed_deliveries import (
    CURRENT_SECRET,
    ORDER_BODY,
    ORDER_ID,
    PREVIOUS_SECRET,
    SHOP,
    WEBHOOK_ID,
    TestClient,
    receiver_settings,
    shopify_headers,
    sign,
)

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "shopify" / "hmac_test_vectors.json"
RECEIVED_AT = datetime(2026, 4, 1, 16, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'receiver.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def inbox(engine: Engine) -> Inbox:
    return Inbox(engine)


@pytest.fixture
def trigger() -> NullRunTrigger:
    return NullRunTrigger()


@pytest.fixture
def client(inbox: Inbox, trigger: NullRunTrigger) -> Iterator[TestClient]:
    app = create_receiver_app(receiver_settings(), inbox, trigger, clock=lambda: RECEIVED_AT)
    with TestClient(app) as test_client:
        yield test_client


def assert_nothing_stored(inbox: Inbox, trigger: NullRunTrigger) -> None:
    assert sum(inbox.counts().values()) == 0
    assert trigger.requests == []


def test_a_verified_order_is_stored_and_a_sync_requested(
    client: TestClient, inbox: Inbox, trigger: NullRunTrigger
) -> None:
    """A genuine orders/paid delivery answers 200 accepted, is stored pending, and asks for a sync run."""
    response = client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "webhook_id": WEBHOOK_ID}
    stored = inbox.get(WEBHOOK_ID)
    assert stored is not None
    assert (stored.status, stored.topic, stored.shop_domain, stored.order_id) == (
        "pending",
        "orders/paid",
        SHOP,
        ORDER_ID,
    )
    assert (stored.api_version, stored.event_id) == ("2026-04", "evt-42")
    assert stored.triggered_at == datetime(2026, 4, 1, 15, 59, 59, 500000, tzinfo=UTC)
    assert stored.received_at == RECEIVED_AT
    assert stored.payload == ORDER_BODY.decode()
    assert trigger.requests == [RECEIVED_AT]


def test_the_public_test_vector_is_accepted(inbox: Inbox, trigger: NullRunTrigger) -> None:
    """The published Shopify HMAC vector verifies end to end (our signer is not the only witness)."""
    vector = json.loads(REFERENCE.read_text())["vectors"][0]
    body = vector["body"].encode()
    app = create_receiver_app(receiver_settings(vector["secret"]), inbox, trigger)
    headers = shopify_headers(body, **{"X-Shopify-Hmac-Sha256": vector["expected_x_shopify_hmac_sha256"]})

    response = TestClient(app).post(WEBHOOK_PATH, content=body, headers=headers)

    assert response.json()["status"] == "accepted"
    assert inbox.counts()["pending"] == 1


def test_the_previous_secret_still_verifies_after_a_rotation(client: TestClient, inbox: Inbox) -> None:
    """Deliveries signed with the second configured secret are accepted."""
    headers = shopify_headers(ORDER_BODY, **{"X-Shopify-Hmac-Sha256": sign(ORDER_BODY, PREVIOUS_SECRET)})

    response = client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=headers)

    assert response.json()["status"] == "accepted"
    assert inbox.counts()["pending"] == 1


def test_redelivery_is_acknowledged_but_stored_once(
    client: TestClient, inbox: Inbox, trigger: NullRunTrigger
) -> None:
    """The same webhook id three times: accepted, duplicate, duplicate; one row and one sync request."""
    statuses = [
        client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY)).json()["status"]
        for _ in range(3)
    ]

    assert statuses == ["accepted", "duplicate", "duplicate"]
    assert sum(inbox.counts().values()) == 1
    assert len(trigger.requests) == 1


def test_an_unsubscribed_topic_is_recorded_as_ignored(
    client: TestClient, inbox: Inbox, trigger: NullRunTrigger
) -> None:
    """A verified delivery of a topic we do not sync answers 200 ignored and starts nothing."""
    body = b'{"id": 706405506930370084, "title": "Aviator sunglasses"}'
    headers = shopify_headers(body, **{"X-Shopify-Topic": "products/update", "X-Shopify-Webhook-Id": "p-1"})

    response = client.post(WEBHOOK_PATH, content=body, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "webhook_id": "p-1"}
    assert inbox.counts()["ignored"] == 1
    assert inbox.claim(10, "run", 60) == []
    assert trigger.requests == []


def test_refunds_are_tied_to_their_order(client: TestClient, inbox: Inbox) -> None:
    """refunds/create is synced, and its order is the payload's order_id (not the refund's own id)."""
    body = json.dumps({"id": 890088186047892319, "order_id": ORDER_ID, "note": "damaged"}).encode()
    headers = shopify_headers(body, **{"X-Shopify-Topic": "refunds/create", "X-Shopify-Webhook-Id": "r-1"})

    assert client.post(WEBHOOK_PATH, content=body, headers=headers).json()["status"] == "accepted"

    assert inbox.get("r-1").order_id == ORDER_ID  # type: ignore[union-attr]


def test_header_names_are_case_insensitive(client: TestClient, inbox: Inbox) -> None:
    """HTTP/2-style lowercase header names are as good as the canonical ones."""
    headers = {name.lower(): value for name, value in shopify_headers(ORDER_BODY).items()}

    assert client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=headers).json()["status"] == "accepted"
    assert inbox.counts()["pending"] == 1


def _oversized() -> bytes:
    return b'{"id": 1, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'


TOO_LARGE = {"error": "payload_too_large", "detail": f"body is larger than {MAX_BODY_BYTES} bytes"}
HMAC_FAILED = {"error": "invalid_hmac", "detail": "HMAC verification failed"}


def invalid(detail: str) -> dict[str, str]:
    return {"error": "invalid_body", "detail": detail}


REJECTIONS = {
    "missing headers": (
        ORDER_BODY,
        {"X-Shopify-Topic": None, "X-Shopify-Webhook-Id": None},
        400,
        {"error": "invalid_headers", "detail": "missing header X-Shopify-Topic, X-Shopify-Webhook-Id"},
    ),
    "empty hmac header": (
        ORDER_BODY,
        {"X-Shopify-Hmac-Sha256": ""},
        400,
        {"error": "invalid_headers", "detail": "missing header X-Shopify-Hmac-Sha256"},
    ),
    "unknown secret": (ORDER_BODY, {"X-Shopify-Hmac-Sha256": sign(ORDER_BODY, "attacker")}, 401, HMAC_FAILED),
    "hex digest": (
        ORDER_BODY,
        {"X-Shopify-Hmac-Sha256": hmac.new(CURRENT_SECRET.encode(), ORDER_BODY, hashlib.sha256).hexdigest()},
        401,
        HMAC_FAILED,
    ),
    "unknown shop": (
        ORDER_BODY,
        {"X-Shopify-Shop-Domain": "someone-else.myshopify.com"},
        403,
        {"error": "unknown_shop", "detail": "shop domain 'someone-else.myshopify.com' is not configured"},
    ),
    "not json content type": (
        ORDER_BODY,
        {"Content-Type": "text/plain; charset=utf-8"},
        415,
        {
            "error": "unsupported_media_type",
            "detail": "Content-Type must be application/json, got 'text/plain; charset=utf-8'",
        },
    ),
    "bad utf-8": (
        b'{"id": 1, "name": "Zo\xeb"}',
        {},
        400,
        invalid("body is not valid UTF-8 (at byte offset 21)"),
    ),
    "malformed json": (
        b'{"id": 1',
        {},
        400,
        invalid("body is not valid JSON: Expecting ',' delimiter: line 1 column 9 (char 8)"),
    ),
    "nan": (b'{"id": NaN}', {}, 400, invalid("body is not valid JSON: NaN is not a JSON value")),
    "array": (b"[1, 2]", {}, 400, invalid("body must be a JSON object, got array")),
    "nested too deeply": (
        b'{"id": 1, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        {},
        400,
        invalid("body is not valid JSON: nested too deeply"),
    ),
    "order without id": (b'{"name": "#1001"}', {}, 400, invalid("payload.id must be an integer")),
    "string id": (b'{"id": "1001"}', {}, 400, invalid("payload.id must be an integer")),
    "float id": (b'{"id": 8.209829119461545e17}', {}, 400, invalid("payload.id must be an integer")),
    "boolean id": (b'{"id": true}', {}, 400, invalid("payload.id must be an integer")),
    "id beyond int64": (
        b'{"id": 9223372036854775808}',
        {},
        400,
        invalid("payload.id must be a positive 64-bit integer"),
    ),
    "refund without order": (
        b'{"id": 5}',
        {"X-Shopify-Topic": "refunds/create"},
        400,
        invalid("payload.order_id must be an integer"),
    ),
}


@pytest.mark.parametrize(
    ("body", "overrides", "status", "expected"), REJECTIONS.values(), ids=REJECTIONS.keys()
)
def test_a_rejected_delivery_says_why_and_stores_nothing(
    client: TestClient,
    inbox: Inbox,
    trigger: NullRunTrigger,
    body: bytes,
    overrides: dict[str, str | None],
    status: int,
    expected: dict[str, str],
) -> None:
    """Each check failure answers its status with a precise JSON body, and no inbox row is written."""
    response = client.post(WEBHOOK_PATH, content=body, headers=shopify_headers(body, **overrides))

    assert (response.status_code, response.json()) == (status, expected)
    assert_nothing_stored(inbox, trigger)


def test_an_oversized_body_is_refused_by_its_content_length(
    client: TestClient, inbox: Inbox, trigger: NullRunTrigger
) -> None:
    """A body declared bigger than 1 MiB is refused with 413, even though it is correctly signed."""
    body = _oversized()

    response = client.post(WEBHOOK_PATH, content=body, headers=shopify_headers(body))

    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert_nothing_stored(inbox, trigger)


@pytest.mark.parametrize("content_length", [None, "10"], ids=["chunked", "understated"])
def test_the_size_cap_holds_without_an_honest_content_length(
    client: TestClient, inbox: Inbox, trigger: NullRunTrigger, content_length: str | None
) -> None:
    """A streamed body with no Content-Length, or a lying one, is still capped at 1 MiB while reading."""
    body = _oversized()
    headers = shopify_headers(body)
    if content_length is None:
        content: bytes | Iterator[bytes] = iter([body[:1000], body[1000:]])
    else:
        content, headers["Content-Length"] = body, content_length

    response = client.post(WEBHOOK_PATH, content=content, headers=headers)

    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert_nothing_stored(inbox, trigger)


CHECK_ORDER = {
    "size before headers": (_oversized(), {"X-Shopify-Topic": None}, 413),
    "headers before hmac": (ORDER_BODY, {"X-Shopify-Topic": None, "X-Shopify-Hmac-Sha256": "forged"}, 400),
    "hmac before shop": (
        ORDER_BODY,
        {"X-Shopify-Shop-Domain": "x.myshopify.com", "X-Shopify-Hmac-Sha256": "f"},
        401,
    ),
    "shop before content type": (
        ORDER_BODY,
        {"X-Shopify-Shop-Domain": "x.myshopify.com", "Content-Type": "text/xml"},
        403,
    ),
    "content type before json": (b"not json", {"Content-Type": "text/xml"}, 415),
}


@pytest.mark.parametrize(("body", "overrides", "status"), CHECK_ORDER.values(), ids=CHECK_ORDER.keys())
def test_the_first_failing_check_decides_the_status(
    client: TestClient, body: bytes, overrides: dict[str, str | None], status: int
) -> None:
    """Checks run in order: size, headers, HMAC, shop, content type, payload."""
    response = client.post(WEBHOOK_PATH, content=body, headers=shopify_headers(body, **overrides))

    assert response.status_code == status


def test_a_failing_trigger_does_not_fail_the_acknowledgement(inbox: Inbox) -> None:
    """If asking for a run blows up, Shopify still gets 200 and the delivery waits in the inbox."""

    class BrokenTrigger:
        def request_sync(self, received_at: datetime) -> None:
            raise RuntimeError("prefect exploded")

    app = create_receiver_app(receiver_settings(), inbox, BrokenTrigger())

    response = TestClient(app).post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    assert response.json()["status"] == "accepted"
    assert inbox.pending_count() == 1


def test_an_unwritable_inbox_is_not_acknowledged(client: TestClient, engine: Engine) -> None:
    """When the delivery cannot be stored the receiver answers 503, so Shopify retries it later."""
    metadata.drop_all(engine)

    response = client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    assert response.status_code == 503
    assert response.json()["error"] == "inbox_unavailable"


def test_logs_carry_no_customer_data(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """One log line per delivery names the webhook and topic but never the payload or the email."""
    with caplog.at_level(logging.INFO, logger="shopsync.receiver"):
        client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    lines = [record.getMessage() for record in caplog.records if record.name == "shopsync.receiver"]
    assert len(lines) == 1
    assert WEBHOOK_ID in lines[0] and "orders/paid" in lines[0]
    assert "jon@example.com" not in caplog.text and "199.00" not in caplog.text


def test_healthz_reports_the_backlog(client: TestClient) -> None:
    """The health check answers ok with the number of deliveries waiting for a sync run."""
    client.post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "pending": 1})


def test_the_receiver_refuses_to_start_without_secrets(inbox: Inbox, trigger: NullRunTrigger) -> None:
    """Without a signing secret nothing could be verified: building the app fails, naming the variable."""
    with pytest.raises(ConfigError, match="SHOPIFY_WEBHOOK_SECRETS"):
        create_receiver_app(receiver_settings(secrets=""), inbox, trigger)
