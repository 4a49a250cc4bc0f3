"""Turn an OrderSpec into a REST order payload shaped like Shopify's `orders/paid` webhook body."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.seed_catalog import DELETED_PRODUCTS
from sandbox.seed_models import IdAllocator, ShopInfo, shop_timestamp
from sandbox.seed_money import MoneyPair, money_set, money_str
from sandbox.seed_refunds import (
    RefundRequest,
    RefundTotals,
    build_refund,
    full_refund_lines,
    partial_refund_lines,
)
from sandbox.seed_scenarios import OrderSpec
from sandbox.shopify.ids import gid

_DISCOUNT_SHARE = Decimal("0.10")
_SHIPPING_USD = (Decimal("0.00"), Decimal("7.50"), Decimal("12.00"))


@dataclass(frozen=True)
class OrderContext:
    """What every order of one store shares."""

    shop: ShopInfo
    products: list[dict[str, Any]]
    ids: IdAllocator
    rng: random.Random
    now: datetime


@dataclass(frozen=True)
class _Totals:
    items: MoneyPair
    discount: MoneyPair
    shipping: MoneyPair
    tax: MoneyPair

    @property
    def subtotal(self) -> MoneyPair:
        return self.items - self.discount

    @property
    def total(self) -> MoneyPair:
        return self.subtotal + self.shipping + self.tax


def build_order(spec: OrderSpec, number: int, ctx: OrderContext) -> dict[str, Any]:
    """A REST order for `spec`, numbered `#<number>`, with its refunds applied to the current_* amounts."""
    order_id = ctx.ids.next()
    lines = _line_items(spec, ctx)
    totals = _totals(spec, lines, ctx)
    refund_time = _after(spec.processed_at, ctx)
    shipping_line = _shipping_line(totals.shipping, spec, ctx)
    refunds, refunded = _refunds(
        spec, order_id, lines, totals.shipping, shipping_line["id"], refund_time, ctx
    )
    order = _order_header(spec, order_id, number, ctx)
    order.update(_money_fields(spec, totals, refunded, ctx.shop.currency))
    order["financial_status"] = _financial_status(spec)
    outstanding = totals.total.shop if spec.status in ("pending", "authorized") else Decimal(0)
    order["total_outstanding"] = money_str(outstanding)
    order["line_items"] = [_public_line(line) for line in lines]
    order["refunds"] = refunds
    order["shipping_lines"] = [shipping_line]
    changed_later = spec.refund != "none" or spec.cancel_reason is not None
    updated = refund_time if changed_later else spec.processed_at + timedelta(minutes=ctx.rng.randint(1, 90))
    order["updated_at"] = shop_timestamp(updated)
    if spec.cancel_reason is not None:
        order["cancelled_at"] = shop_timestamp(refund_time)
        order["cancel_reason"] = spec.cancel_reason
        order["closed_at"] = shop_timestamp(refund_time)
    return order


def _refunds(
    spec: OrderSpec,
    order_id: int,
    lines: list[dict[str, Any]],
    shipping: MoneyPair,
    shipping_line_id: int,
    at: datetime,
    ctx: OrderContext,
) -> tuple[list[dict[str, Any]], RefundTotals]:
    if spec.refund == "none":
        return [], RefundTotals.none()
    full = spec.refund == "full"
    request = RefundRequest(
        order_id=order_id,
        spec=spec,
        lines=full_refund_lines(lines) if full else partial_refund_lines(lines),
        shipping=shipping if full else MoneyPair.zero(),
        shipping_line_id=shipping_line_id,
        at=at,
        shop_currency=ctx.shop.currency,
    )
    refund, refunded = build_refund(request, ctx.ids)
    return [refund], refunded


def _financial_status(spec: OrderSpec) -> str:
    if spec.refund == "full":
        return "refunded"
    if spec.refund == "partial":
        return "partially_refunded"
    if spec.cancel_reason is not None and spec.status == "authorized":
        return "voided"
    return spec.status


def _after(processed_at: datetime, ctx: OrderContext) -> datetime:
    """When a later refund or cancellation happened: days after the order, but before the store's now."""
    later = processed_at + timedelta(days=ctx.rng.randint(0, 3), hours=ctx.rng.randint(1, 20))
    latest = (ctx.now - timedelta(minutes=30)).astimezone(processed_at.tzinfo)
    return min(later, max(latest, processed_at + timedelta(minutes=5)))


def _order_header(spec: OrderSpec, order_id: int, number: int, ctx: OrderContext) -> dict[str, Any]:
    processed = shop_timestamp(spec.processed_at)
    customer = copy.deepcopy(spec.customer) if spec.customer else None
    gateways = ["bogus"] if spec.test else ["cash"] if spec.source_name == "pos" else ["shopify_payments"]
    return {
        "id": order_id,
        "admin_graphql_api_id": gid("Order", order_id),
        "app_id": None,
        "buyer_accepts_marketing": ctx.rng.random() < 0.5,
        "cancel_reason": None,
        "cancelled_at": None,
        "closed_at": None,
        "confirmed": True,
        "contact_email": spec.email or None,
        "created_at": processed,
        "currency": ctx.shop.currency,
        "customer": customer,
        "customer_locale": "en",
        "discount_codes": [],
        "email": spec.email,
        "fulfillment_status": None,
        "name": f"#{number}",
        "note": None,
        "number": number - 1000,
        "order_number": number,
        "payment_gateway_names": gateways,
        "phone": customer.get("phone") if customer else None,
        "presentment_currency": spec.presentment_currency,
        "processed_at": processed,
        "source_name": spec.source_name,
        "tags": spec.tags,
        "taxes_included": False,
        "test": spec.test,
        "user_id": None,
    }


def _money_fields(
    spec: OrderSpec, totals: _Totals, refunded: RefundTotals, shop_currency: str
) -> dict[str, Any]:
    current_subtotal = totals.subtotal - refunded.subtotal
    current_tax = totals.tax - refunded.tax
    amounts = {
        "subtotal_price": totals.subtotal,
        "total_discounts": totals.discount,
        "total_line_items_price": totals.items,
        "total_price": totals.total,
        "total_tax": totals.tax,
        "current_subtotal_price": current_subtotal,
        "current_total_discounts": totals.discount,
        "current_total_price": totals.total - refunded.total,
        "current_total_tax": current_tax,
    }
    fields: dict[str, Any] = {}
    for name, pair in amounts.items():
        fields[name] = money_str(pair.shop)
        fields[f"{name}_set"] = money_set(pair, shop_currency, spec.presentment_currency)
    fields["total_shipping_price_set"] = money_set(totals.shipping, shop_currency, spec.presentment_currency)
    fields["current_shipping_price_set"] = money_set(
        totals.shipping - refunded.shipping, shop_currency, spec.presentment_currency
    )
    return fields


def _line_items(spec: OrderSpec, ctx: OrderContext) -> list[dict[str, Any]]:
    """Line items (with private `_unit` MoneyPair kept until the payload is finished)."""
    # Partial refunds take back one unit, so those orders get at least two lines to keep something paid.
    count = ctx.rng.randint(2, 3) if spec.refund == "partial" else ctx.rng.randint(1, 3)
    chosen = ctx.rng.sample(ctx.products, k=min(count, len(ctx.products)))
    lines = [_catalog_line(product, spec, ctx) for product in chosen]
    if spec.deleted_product:
        title, price = ctx.rng.choice(DELETED_PRODUCTS)
        lines.append(_line(None, None, title, "", Decimal(price), spec, ctx))
    return lines


def _catalog_line(product: dict[str, Any], spec: OrderSpec, ctx: OrderContext) -> dict[str, Any]:
    variant = product["variants"][0]
    line = _line(
        product["id"],
        variant["id"],
        product["title"],
        product["vendor"],
        Decimal(variant["price"]),
        spec,
        ctx,
    )
    line["sku"] = variant["sku"]
    return line


def _line(
    product_id: int | None,
    variant_id: int | None,
    title: str,
    vendor: str,
    unit_price: Decimal,
    spec: OrderSpec,
    ctx: OrderContext,
) -> dict[str, Any]:
    line_id = ctx.ids.next()
    quantity = ctx.rng.choice((1, 1, 1, 2, 3))
    unit = MoneyPair.from_shop(unit_price, spec.presentment_currency)
    shop_currency = ctx.shop.currency
    return {
        "id": line_id,
        "admin_graphql_api_id": gid("LineItem", line_id),
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": 250,
        "name": title,
        "price": money_str(unit.shop),
        "price_set": money_set(unit, shop_currency, spec.presentment_currency),
        "product_exists": product_id is not None,
        "product_id": product_id,
        "properties": [],
        "quantity": quantity,
        "requires_shipping": True,
        "sku": None,
        "taxable": True,
        "title": title,
        "total_discount": "0.00",
        "total_discount_set": money_set(MoneyPair.zero(), shop_currency, spec.presentment_currency),
        "variant_id": variant_id,
        "variant_title": None,
        "vendor": vendor or None,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
        "_unit": unit,
    }


def _totals(spec: OrderSpec, lines: list[dict[str, Any]], ctx: OrderContext) -> _Totals:
    items = MoneyPair.zero()
    tax = MoneyPair.zero()
    for line in lines:
        line_total = line["_unit"].times(line["quantity"])
        items += line_total
        tax += line_total.tax()
    discount = items.share(_DISCOUNT_SHARE) if spec.discount else MoneyPair.zero()
    shipping_usd = Decimal(0) if spec.source_name == "pos" else ctx.rng.choice(_SHIPPING_USD)
    shipping = MoneyPair.from_shop(shipping_usd, spec.presentment_currency)
    return _Totals(items=items, discount=discount, shipping=shipping, tax=tax)


def _public_line(line: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in line.items() if not key.startswith("_")}


def _shipping_line(shipping: MoneyPair, spec: OrderSpec, ctx: OrderContext) -> dict[str, Any]:
    shipping_set = money_set(shipping, ctx.shop.currency, spec.presentment_currency)
    return {
        "id": ctx.ids.next(),
        "code": "Standard",
        "title": "In-store pickup" if spec.source_name == "pos" else "Standard Shipping",
        "price": money_str(shipping.shop),
        "price_set": shipping_set,
        "discounted_price": money_str(shipping.shop),
        "discounted_price_set": shipping_set,
        "source": "shopify",
        "tax_lines": [],
        "discount_allocations": [],
    }
