"""Webhook bodies for seeded orders, shaped like Shopify's REST webhook payloads per topic."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sandbox.seed_models import DEMO_SHOP
from sandbox.shopify.rest_order_fields import complete_order_payload

DEMO_SHOP_ID: Final = 548380009
ORDER_TOPICS: Final = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
# The mandatory compliance topics: declared in the app's configuration (shopify.app.toml), not subscribed.
COMPLIANCE_TOPICS: Final = frozenset({"customers/redact", "customers/data_request", "shop/redact"})
SUPPORTED_TOPICS: Final = ORDER_TOPICS | COMPLIANCE_TOPICS | {"orders/delete", "refunds/create"}


def build_delivery(
    topic: str,
    order: Mapping[str, Any],
    *,
    shop_domain: str = DEMO_SHOP.domain,
    shop_id: int = DEMO_SHOP_ID,
) -> dict[str, Any]:
    """The body Shopify would send on `topic` for this REST order.

    Args:
        topic: one of SUPPORTED_TOPICS.
        order: a REST order (e.g. from `SeedData.orders` or the sandbox store).
        shop_domain: goes into `customers/redact` bodies.
        shop_id: goes into `customers/redact` bodies.

    Returns:
        A fresh JSON-compatible dict (changing it never touches `order`). Order topics send the whole
        order; `refunds/create` the order's latest refund; `customers/redact` names the customer and this
        order; `orders/delete` only the id.

    Raises:
        ValueError: for an unknown topic, a refund topic on an order without refunds, or a redaction of
            an order without a customer.
    """
    if topic in ORDER_TOPICS:
        return complete_order_payload(order, shop_domain)
    if topic == "orders/delete":
        return {"id": order["id"]}
    if topic == "refunds/create":
        if not order.get("refunds"):
            raise ValueError(f"order {order['id']} has no refund to announce on refunds/create")
        return copy.deepcopy(dict(order["refunds"][-1]))
    if topic == "customers/redact":
        return _customer_redact(order, shop_domain, shop_id)
    if topic in COMPLIANCE_TOPICS:
        raise ValueError(f"{topic} names a customer or the shop, not an order: use build_compliance_delivery")
    raise ValueError(f"unsupported webhook topic {topic!r}; supported: {sorted(SUPPORTED_TOPICS)}")


def _customer_redact(order: Mapping[str, Any], shop_domain: str, shop_id: int) -> dict[str, Any]:
    customer = order.get("customer")
    if not customer:
        raise ValueError(f"order {order['id']} has no customer to redact")
    return {
        "shop_id": shop_id,
        "shop_domain": shop_domain,
        "customer": {"id": customer["id"], "email": customer.get("email"), "phone": customer.get("phone")},
        "orders_to_redact": [order["id"]],
    }


def build_compliance_delivery(
    topic: str,
    customer: Mapping[str, Any] | None,
    orders: Sequence[Mapping[str, Any]] = (),
    *,
    shop_domain: str = DEMO_SHOP.domain,
    shop_id: int = DEMO_SHOP_ID,
    data_request_id: int = 9999,
) -> dict[str, Any]:
    """The body of a compliance webhook (reference payloads `webhook_*_redact`, `..._data_request`).

    Args:
        topic: customers/redact, customers/data_request or shop/redact.
        customer: The REST customer (id, email, phone); None for shop/redact.
        orders: The customer's orders, named in `orders_to_redact` / `orders_requested`.
        shop_domain: The shop.
        shop_id: The shop's id.
        data_request_id: `data_request.id` of a data request.

    Raises:
        ValueError: An unknown topic, or a customer topic without a customer.
    """
    shop = {"shop_id": shop_id, "shop_domain": shop_domain}
    if topic == "shop/redact":
        return shop
    if topic not in COMPLIANCE_TOPICS:
        raise ValueError(f"{topic!r} is not a compliance topic; expected one of {sorted(COMPLIANCE_TOPICS)}")
    if not customer:
        raise ValueError(f"{topic} needs a customer")
    named = {"id": customer["id"], "email": customer.get("email"), "phone": customer.get("phone")}
    order_ids = [order["id"] for order in orders]
    if topic == "customers/redact":
        return {**shop, "customer": named, "orders_to_redact": order_ids}
    return {**shop, "customer": named, "orders_requested": order_ids, "data_request": {"id": data_request_id}}
