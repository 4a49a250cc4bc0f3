"""The sender's webhook bodies have the keys and value types of Shopify's own examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.seed import generate_store
from sandbox.shopify.webhook_payloads import build_delivery

SEED = generate_store()


def _reference(reference_dir: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((reference_dir / "shopify" / name).read_text())["response"])


def _type_mismatches(reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Keys whose JSON types differ where both sides carry a value (null is compatible with anything)."""
    return [
        f"{key}: reference {type(reference[key]).__name__}, sandbox {type(ours[key]).__name__}"
        for key in sorted(set(reference) & set(ours))
        if reference[key] is not None
        and ours[key] is not None
        and type(reference[key]) is not type(ours[key])
    ]


@pytest.mark.parametrize("topic", ["orders/paid", "orders/updated", "orders/cancelled"])
def test_every_order_payload_has_shopifys_keys_and_types(reference_dir: Path, topic: str) -> None:
    """Each seeded order, as delivered, carries every key of the orders/paid example with its JSON type."""
    reference = _reference(reference_dir, "webhook_orders_paid_2026-04.metadata.json")
    reference_item = reference["line_items"][0]
    for order in SEED.orders:
        payload = build_delivery(topic, order)
        assert sorted(set(reference) - set(payload)) == [], order["name"]
        assert _type_mismatches(reference, payload) == [], order["name"]
        for item in payload["line_items"]:
            assert sorted(set(reference_item) - set(item)) == [], order["name"]
            assert _type_mismatches(reference_item, item) == [], order["name"]


def test_refund_payload_has_shopifys_keys_and_types(reference_dir: Path) -> None:
    """refunds/create bodies match the refunds/create example key for key."""
    reference = _reference(reference_dir, "webhook_refunds_create_2026-04.metadata.json")
    refunded = [order for order in SEED.orders if order.get("refunds")]
    assert refunded, "the seed must contain refunds"
    for order in refunded:
        payload = build_delivery("refunds/create", order)
        assert set(payload) == set(reference)
        assert _type_mismatches(reference, payload) == []


def test_redact_payload_has_shopifys_keys(reference_dir: Path) -> None:
    """customers/redact bodies carry the example's keys."""
    reference = _reference(reference_dir, "webhook_customers_redact_2026-04.metadata.json")
    order = next(order for order in SEED.orders if order["customer"] is not None)
    assert set(build_delivery("customers/redact", order)) == set(reference)
