"""`OrderRecord`: the one normalised order shape, built from a REST-shaped webhook or a GraphQL node.

Both constructors apply the same rules (api-facts.md A4): money from `*_set.shop_money` as Decimal, int64
ids as `int`, times converted to UTC, emails stripped and lowercased, tags split and lowercased. A payload
that lacks a field we need raises `InvalidOrderPayload` naming that field, and so does one whose values are
impossible: the record's field types carry the rules of `order_rules.py`, which pydantic checks for both.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from tasks.errors import InvalidOrderPayload
from tasks.shopify import line_items, parsing
from tasks.shopify.order_rules import (
    UNKNOWN_FINANCIAL_STATUS,
    CurrencyCode,
    FinancialStatus,
    Money,
    invalid_payload,
)

__all__ = ["OrderRecord"]

_logger = logging.getLogger(__name__)


class OrderRecord(BaseModel):
    """One Shopify order, reduced to what the HubSpot purchase properties are computed from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: int
    order_gid: str
    name: str
    customer_id: int | None
    email: str | None
    processed_at: datetime
    processed_date: date
    updated_at: datetime
    cancelled: bool
    test: bool
    financial_status: FinancialStatus
    current_total: Money
    total_price: Money
    currency: CurrencyCode
    source_name: str | None
    order_tags: tuple[str, ...]
    customer_tags: tuple[str, ...]
    # Distinct and ascending, so both dialects agree whatever order the line items come in.
    product_ids: tuple[int, ...]
    # Aligned with product_ids ("" for a product without a type); None until resolved (webhooks).
    product_types: tuple[str, ...] | None

    @classmethod
    def from_webhook(cls, payload: Mapping[str, Any]) -> OrderRecord:
        """Build a record from a REST-shaped order payload (webhook body or sandbox/REST order).

        `order_id` is the payload's `id` as parsed. If `admin_graphql_api_id` disagrees (Shopify's published
        sample lost digits through a float), the mismatch is logged and `order_gid` is derived from `id`, so
        the record stays self-consistent. Product types stay None: webhook line items carry none.

        Args:
            payload: The decoded JSON body; ints must be exact (Python's `json` keeps them so).

        Returns:
            The normalised order.

        Raises:
            InvalidOrderPayload: A needed field is missing or malformed; the message names it.
        """
        order_id = parsing.int_id(parsing.require(payload, "id"), "id")
        customer = _optional_object(payload, "customer")
        processed_at = parsing.timestamp(parsing.require(payload, "processed_at"), "processed_at")
        fields = dict(
            order_id=order_id,
            order_gid=_webhook_order_gid(payload, order_id),
            name=_name(payload),
            customer_id=_webhook_customer_id(customer),
            email=parsing.email(
                dict(customer or {}).get("email"), payload.get("email"), payload.get("contact_email")
            ),
            processed_at=processed_at.astimezone(UTC),
            # The offset Shopify sent is the shop's, so its calendar date is the shop-local business date.
            processed_date=processed_at.date(),
            current_total=_webhook_money(payload, "current_total_price"),
            total_price=_webhook_money(payload, "total_price"),
            currency=_currency(payload, "current_total_price_set.shop_money.currency_code", "currency"),
            product_ids=line_items.webhook_product_ids(payload),
            product_types=None,
            **_status_fields(payload, customer, _REST_KEYS),
        )
        try:
            return cls(**fields)
        except ValidationError as error:
            raise invalid_payload(error, _rest_sources(payload)) from None

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any], shop_timezone: ZoneInfo) -> OrderRecord:
        """Build a record from an Admin GraphQL `Order` node (orders page, `nodes(ids:)`, bulk JSONL).

        Args:
            node: The order object as selected by `operations.ORDER_FIELDS`, with `lineItems.nodes`.
            shop_timezone: The shop's IANA zone; GraphQL times are UTC, the business date is shop-local.

        Returns:
            The normalised order, with product types resolved from the line items.

        Raises:
            InvalidOrderPayload: A needed field is missing or malformed; the message names it.
        """
        order_gid = parsing.require(node, "id")
        customer = _optional_object(node, "customer")
        processed_at = _utc(node, "processedAt")
        product_ids, product_types = line_items.graphql_products(node)
        fields = dict(
            order_id=_graphql_legacy_id(node, "Order", "id"),
            order_gid=order_gid,
            name=_name(node),
            customer_id=None if customer is None else _graphql_legacy_id(customer, "Customer", "customer.id"),
            email=parsing.email(
                parsing.dig(node, "customer.defaultEmailAddress.emailAddress"), node.get("email")
            ),
            processed_at=processed_at,
            processed_date=processed_at.astimezone(shop_timezone).date(),
            current_total=_required_money(node, "currentTotalPriceSet.shopMoney.amount"),
            total_price=_required_money(node, "totalPriceSet.shopMoney.amount"),
            currency=_currency(node, "currentTotalPriceSet.shopMoney.currencyCode", "currencyCode"),
            product_ids=product_ids,
            product_types=product_types,
            **_status_fields(node, customer, _GRAPHQL_KEYS),
        )
        try:
            return cls(**fields)
        except ValidationError as error:
            raise invalid_payload(error, _GRAPHQL_SOURCES) from None

    def with_product_types(self, types_by_product: Mapping[int, str]) -> OrderRecord:
        """A copy whose `product_types` lines up with `product_ids`; unknown (deleted) products get ""."""
        resolved = tuple(types_by_product.get(product_id, "") for product_id in self.product_ids)
        return self.model_copy(update={"product_types": resolved})


class _Keys(NamedTuple):
    """Where each dialect keeps the fields that are read the same way in both."""

    updated_at: str
    cancelled_at: str
    financial_status: str
    source_name: str


_REST_KEYS = _Keys("updated_at", "cancelled_at", "financial_status", "source_name")
_GRAPHQL_KEYS = _Keys("updatedAt", "cancelledAt", "displayFinancialStatus", "sourceName")
# Record field → where a GraphQL node keeps it, so a broken rule names the node's own field.
_GRAPHQL_SOURCES = {
    "financial_status": "displayFinancialStatus",
    "current_total": "currentTotalPriceSet.shopMoney.amount",
    "total_price": "totalPriceSet.shopMoney.amount",
    "currency": "currentTotalPriceSet.shopMoney.currencyCode",
}


def _rest_sources(payload: Mapping[str, Any]) -> dict[str, str]:
    """Record field → where this webhook payload keeps it (money and currency have older fallbacks)."""

    def first_present(*paths: str) -> str:
        return next((path for path in paths if parsing.dig(payload, path) is not None), paths[0])

    return {
        "financial_status": "financial_status",
        "current_total": first_present("current_total_price_set.shop_money.amount", "current_total_price"),
        "total_price": first_present("total_price_set.shop_money.amount", "total_price"),
        "currency": first_present("current_total_price_set.shop_money.currency_code", "currency"),
    }


def _status_fields(
    payload: Mapping[str, Any], customer: Mapping[str, Any] | None, keys: _Keys
) -> dict[str, Any]:
    """The record fields whose rules do not depend on the dialect, only their key names do."""
    cancelled_at = parsing.optional_timestamp(payload.get(keys.cancelled_at), keys.cancelled_at)
    return {
        "updated_at": _utc(payload, keys.updated_at),
        "cancelled": cancelled_at is not None,
        "test": parsing.flag(payload.get("test"), "test", default=False),
        "financial_status": _financial_status(payload, keys.financial_status),
        "source_name": parsing.optional_text(payload.get(keys.source_name), keys.source_name),
        "order_tags": parsing.tags(payload.get("tags"), "tags"),
        "customer_tags": parsing.tags(dict(customer or {}).get("tags"), "customer.tags"),
    }


def _optional_object(payload: Mapping[str, Any], field: str) -> Mapping[str, Any] | None:
    value = payload.get(field)
    if value is None or parsing.is_mapping(value):
        return value
    raise InvalidOrderPayload(f"{field} must be an object or null, got {value!r}", field=field)


def _name(payload: Mapping[str, Any]) -> str:
    value = parsing.require(payload, "name")
    if not isinstance(value, str):
        raise InvalidOrderPayload(f"name must be a string, got {value!r}", field="name")
    return value


def _utc(payload: Mapping[str, Any], field: str) -> datetime:
    return parsing.timestamp(parsing.require(payload, field), field).astimezone(UTC)


def _financial_status(payload: Mapping[str, Any], field: str) -> str:
    value = parsing.optional_text(payload.get(field), field)
    return value.strip().lower() if value and value.strip() else UNKNOWN_FINANCIAL_STATUS


def _currency(payload: Mapping[str, Any], shop_money_path: str, fallback_field: str) -> str:
    value = parsing.dig(payload, shop_money_path) or payload.get(fallback_field)
    if not isinstance(value, str) or not value.strip():
        raise InvalidOrderPayload(f"missing {shop_money_path} (and {fallback_field})", field=shop_money_path)
    return value.strip().upper()


def _required_money(payload: Mapping[str, Any], path: str) -> Decimal:
    return parsing.money(parsing.require(payload, path), path)


def _webhook_money(payload: Mapping[str, Any], field: str) -> Decimal:
    """Shop money from `<field>_set`; older payloads without the set carry the same amount in `<field>`."""
    set_path = f"{field}_set.shop_money.amount"
    amount = parsing.dig(payload, set_path)
    if amount is not None:
        return parsing.money(amount, set_path)
    if payload.get(field) is None:
        raise InvalidOrderPayload(f"missing {set_path} (and {field})", field=set_path)
    return parsing.money(payload[field], field)


def _webhook_order_gid(payload: Mapping[str, Any], order_id: int) -> str:
    gid = parsing.gid_for("Order", order_id)
    sent = payload.get("admin_graphql_api_id")
    if sent is not None and sent != gid:
        _logger.warning("Order id %s disagrees with admin_graphql_api_id %r; keeping the id", order_id, sent)
    return gid


def _webhook_customer_id(customer: Mapping[str, Any] | None) -> int | None:
    if customer is None or customer.get("id") is None:
        return None
    return parsing.int_id(customer["id"], "customer.id")


def _graphql_legacy_id(node: Mapping[str, Any], resource: str, gid_field: str) -> int:
    """The REST id of a GraphQL object: `legacyResourceId` when selected, else the number inside its gid."""
    from_gid = parsing.gid_id(parsing.require(node, "id"), gid_field, resource)
    legacy = node.get("legacyResourceId")
    if legacy is None:
        return from_gid
    field = gid_field.removesuffix("id") + "legacyResourceId"
    legacy_id = parsing.int_id(legacy, field)
    if legacy_id != from_gid:
        raise InvalidOrderPayload(
            f"{field} {legacy_id} disagrees with {gid_field} {node['id']!r}", field=field
        )
    return legacy_id
