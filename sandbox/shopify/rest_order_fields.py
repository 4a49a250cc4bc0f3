"""The REST order fields a webhook carries that shopsync never reads, filled the way Shopify fills them.

The seeded store keeps only what the sync and the sandbox's GraphQL need; a webhook body must still have
every key of Shopify's `orders/*` payload (reference: webhook_orders_paid_2026-04.metadata.json) so that a
receiver tested here meets the same shape in production. Values are the neutral ones a plain web order has.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def _zero_money(currency: str, presentment: str) -> dict[str, Any]:
    return {
        "shop_money": {"amount": "0.00", "currency_code": currency},
        "presentment_money": {"amount": "0.00", "currency_code": presentment},
    }


def _address(order: Mapping[str, Any]) -> dict[str, Any] | None:
    customer = order.get("customer")
    if not customer:
        return None
    return {
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        "name": f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".strip(),
        "address1": "1 Sandbox Street",
        "address2": None,
        "city": "Springfield",
        "province": "New York",
        "province_code": "NY",
        "country": "United States",
        "country_code": "US",
        "zip": "10001",
        "phone": customer.get("phone"),
        "company": None,
        "latitude": None,
        "longitude": None,
    }


def order_defaults(order: Mapping[str, Any], shop_domain: str) -> dict[str, Any]:
    """Values for the payload keys the seed leaves out (never overriding what the order has)."""
    currency = str(order.get("currency", "USD"))
    presentment = str(order.get("presentment_currency", currency))
    token = f"{int(order['id']):x}"
    address = _address(order)
    return {
        "billing_address": address,
        "shipping_address": copy.deepcopy(address),
        "browser_ip": None,
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "confirmation_number": None,
        "current_total_additional_fees_set": None,
        "current_total_duties_set": None,
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "device_id": None,
        "discount_applications": [],
        "duties_included": False,
        "estimated_taxes": False,
        "fulfillments": [],
        "landing_site": None,
        "landing_site_ref": None,
        "line_item_groups": [],
        "location_id": None,
        "merchant_business_entity_id": "U2FuZGJveFNob3A",
        "merchant_of_record_app_id": None,
        "note_attributes": [],
        "order_status_url": f"https://{shop_domain}/orders/{token}/authenticate?key={token}",
        "payment_terms": None,
        "po_number": None,
        "reference": None,
        "referring_site": None,
        "returns": [],
        "source_identifier": None,
        "source_url": None,
        "tax_exempt": False,
        "tax_lines": [],
        "token": token,
        "total_cash_rounding_payment_adjustment_set": _zero_money(currency, presentment),
        "total_cash_rounding_refund_adjustment_set": _zero_money(currency, presentment),
        "total_tip_received": "0.00",
        "total_weight": 0,
    }


LINE_ITEM_DEFAULTS: dict[str, Any] = {
    "attributed_staffs": [],
    "sales_line_item_group_id": None,
    "variant_inventory_management": "shopify",
}


def complete_order_payload(order: Mapping[str, Any], shop_domain: str) -> dict[str, Any]:
    """A deep copy of `order` with every key of Shopify's order payload present."""
    payload = {**order_defaults(order, shop_domain), **copy.deepcopy(dict(order))}
    payload["line_items"] = [{**LINE_ITEM_DEFAULTS, **item} for item in payload.get("line_items", [])]
    return payload
