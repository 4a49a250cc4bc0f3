"""Webhook deliveries: HMAC verification over raw bytes and the Shopify delivery headers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tasks.shopify.webhooks import WebhookHeaderError, WebhookHeaders, verify_hmac
from tests.tasks.shopify.fakes import reference_json


def _vectors(reference_dir: Path) -> Any:
    return reference_json(reference_dir, "hmac_test_vectors.json")


def test_every_reference_vector_verifies(reference_dir: Path) -> None:
    """Each published/computed vector's header verifies against its body with its secret."""
    vectors = _vectors(reference_dir)["vectors"]
    assert len(vectors) == 3
    for vector in vectors:
        body = vector["body"].encode("utf-8")
        assert verify_hmac(body, vector["expected_x_shopify_hmac_sha256"], [SecretStr(vector["secret"])]), (
            vector["name"]
        )


def test_every_negative_reference_case_is_rejected(reference_dir: Path) -> None:
    """A hex digest, or the right header over re-serialised JSON, does not verify."""
    cases = _vectors(reference_dir)["negative_cases"]
    assert len(cases) == 2
    for case in cases:
        assert (
            verify_hmac(case["body"].encode(), case["header"], [SecretStr(case["secret"])])
            is case["expected_valid"]
        )


def test_any_configured_secret_verifies_during_a_rotation(reference_dir: Path) -> None:
    """The new and the old secret are both tried; a delivery signed with either is accepted."""
    vector = _vectors(reference_dir)["vectors"][0]
    body, header = vector["body"].encode(), vector["expected_x_shopify_hmac_sha256"]
    assert verify_hmac(body, header, [SecretStr("new-secret"), SecretStr(vector["secret"])])
    assert not verify_hmac(body, header, [SecretStr("new-secret"), SecretStr("other")])


def test_a_changed_body_byte_fails(reference_dir: Path) -> None:
    """Flipping one byte of the body makes the signature fail."""
    vector = _vectors(reference_dir)["vectors"][1]
    body = vector["body"].encode("utf-8").replace(b"199.00", b"199.01")
    assert not verify_hmac(body, vector["expected_x_shopify_hmac_sha256"], [SecretStr(vector["secret"])])


@pytest.mark.parametrize("header", [None, "", "   ", "not base64 !!", "Zoë==", "\x00\xff", "QQ==" * 100])
def test_garbage_headers_fail_without_raising(reference_dir: Path, header: str | None) -> None:
    """Missing, empty, non-ASCII or oversized header values simply do not verify."""
    vector = _vectors(reference_dir)["vectors"][0]
    assert verify_hmac(vector["body"].encode(), header, [SecretStr(vector["secret"])]) is False


def test_no_usable_secret_verifies_nothing(reference_dir: Path) -> None:
    """With no secret, or only an empty one, nothing verifies (an empty key must not be a valid key)."""
    vector = _vectors(reference_dir)["vectors"][0]
    body, header = vector["body"].encode(), vector["expected_x_shopify_hmac_sha256"]
    assert verify_hmac(body, header, []) is False
    assert verify_hmac(body, header, [SecretStr("")]) is False


def _headers(reference_dir: Path) -> dict[str, str]:
    """The reference header names with their example values (plus made-up ones where it has none)."""
    reference = reference_json(reference_dir, "webhook_headers_reference.json")["headers"]
    extra = {"X-Shopify-Triggered-At": "2026-03-01T10:00:00.123Z", "X-Shopify-Event-Id": "evt-1"}
    return {h["name"]: h["example"] or extra.get(h["name"], "x") for h in reference}


def test_reference_headers_parse(reference_dir: Path) -> None:
    """Every reference header lands in its field; triggered-at becomes an aware datetime."""
    headers = WebhookHeaders.parse(_headers(reference_dir))
    assert headers.topic == "orders/paid"
    assert headers.shop_domain == "shop.myshopify.com"
    assert headers.webhook_id == "b1234-eefd-4c9e-9520-049845a02082"
    assert headers.api_version == "2024-01"
    assert headers.hmac_sha256 == "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="
    assert headers.triggered_at == datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert headers.event_id == "evt-1"


def test_header_names_are_case_insensitive(reference_dir: Path) -> None:
    """HTTP/2 lowercase names (as pairs) and odd casing parse the same as canonical names."""
    canonical = WebhookHeaders.parse(_headers(reference_dir))
    lowered = WebhookHeaders.parse([(name.lower(), value) for name, value in _headers(reference_dir).items()])
    shouted = WebhookHeaders.parse({name.upper(): value for name, value in _headers(reference_dir).items()})
    assert canonical == lowered == shouted


def test_events_style_shopify_prefixed_names_are_accepted() -> None:
    """Deliveries using `shopify-*` names (no x- prefix) parse too."""
    headers = WebhookHeaders.parse(
        {
            "shopify-hmac-sha256": "h",
            "shopify-topic": "orders/paid",
            "shopify-shop-domain": "s",
            "shopify-webhook-id": "w",
        }
    )
    assert (headers.webhook_id, headers.api_version, headers.triggered_at) == ("w", None, None)


@pytest.mark.parametrize(
    "name", ["X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"]
)
def test_missing_required_header_is_named(reference_dir: Path, name: str) -> None:
    """Each required header, when absent or blank, is named in the error."""
    headers = _headers(reference_dir)
    del headers[name]
    with pytest.raises(WebhookHeaderError, match=f"^missing header {name}$"):
        WebhookHeaders.parse(headers)
    with pytest.raises(WebhookHeaderError, match=f"^missing header {name}$"):
        WebhookHeaders.parse({**headers, name: "  "})


def test_all_missing_headers_are_listed_at_once() -> None:
    """An empty header set names every required header in one message."""
    with pytest.raises(WebhookHeaderError) as caught:
        WebhookHeaders.parse({})
    assert str(caught.value) == (
        "missing header X-Shopify-Hmac-Sha256, X-Shopify-Topic, X-Shopify-Shop-Domain, X-Shopify-Webhook-Id"
    )


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-03-01T10:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
)
def test_malformed_triggered_at_is_rejected(reference_dir: Path, value: str) -> None:
    """A triggered-at that is no ISO timestamp with an offset, or out of range in UTC, is a precise error."""
    headers = {**_headers(reference_dir), "X-Shopify-Triggered-At": value}
    with pytest.raises(WebhookHeaderError, match="malformed header X-Shopify-Triggered-At"):
        WebhookHeaders.parse(headers)


@pytest.mark.parametrize(
    ("name", "limit"),
    [("X-Shopify-Webhook-Id", 255), ("X-Shopify-Topic", 255), ("X-Shopify-API-Version", 32)],
)
def test_an_overlong_stored_header_is_refused_by_name(reference_dir: Path, name: str, limit: int) -> None:
    """Header values the inbox could not store are a precise error, not a failed database write."""
    headers = _headers(reference_dir)
    WebhookHeaders.parse({**headers, name: "x" * limit})
    with pytest.raises(WebhookHeaderError, match=f"^header {name} is longer than {limit} characters$"):
        WebhookHeaders.parse({**headers, name: "x" * (limit + 1)})
