"""The compliance webhooks' bodies, read into what the privacy steps need (in memory only, never stored).

`customers/redact` and `customers/data_request` name a customer (id, email, phone) and some of their orders;
`shop/redact` names only the shop. Shopify sends them with the same HMAC as every other topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.store.erasure import CustomerKeys


class InvalidPrivacyRequest(ValueError):
    """A compliance payload without the fields its topic needs."""


@dataclass(frozen=True)
class CustomerRequest:
    """One `customers/redact` or `customers/data_request`.

    Attributes:
        customer_id: The Shopify customer id.
        email: Their email, when Shopify sent one.
        phone: Their phone, when Shopify sent one.
        order_ids: `orders_to_redact` or `orders_requested`.
        data_request_id: `data_request.id` of a data request (None for a redaction).
    """

    customer_id: int
    email: str | None = None
    phone: str | None = None
    order_ids: tuple[int, ...] = ()
    data_request_id: int | None = None

    def keys(self) -> CustomerKeys:
        """How the store finds the customer's rows."""
        emails = frozenset({self.email.strip().lower()} if self.email and self.email.strip() else set())
        return CustomerKeys(self.customer_id, emails, frozenset(self.order_ids))


def parse_customer_request(payload: Mapping[str, Any]) -> CustomerRequest:
    """Read a `customers/redact` or `customers/data_request` body.

    Raises:
        InvalidPrivacyRequest: No integer `customer.id`, or order ids that are not integers.
    """
    customer = payload.get("customer")
    if not isinstance(customer, dict) or not _is_int(customer.get("id")):
        raise InvalidPrivacyRequest("payload.customer.id must be an integer")
    orders = payload.get("orders_to_redact", payload.get("orders_requested")) or []
    if not isinstance(orders, list) or not all(_is_int(order) for order in orders):
        raise InvalidPrivacyRequest("the payload's order ids must be a list of integers")
    request = payload.get("data_request")
    request_id = request.get("id") if isinstance(request, dict) else None
    return CustomerRequest(
        customer_id=customer["id"],
        email=_text(customer.get("email")),
        phone=_text(customer.get("phone")),
        order_ids=tuple(orders),
        data_request_id=request_id if _is_int(request_id) else None,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
