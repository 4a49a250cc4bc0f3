"""Line items of an order, in either dialect: the products they name, and the rules each must meet.

The record keeps only the distinct products (for product-type rules); the quantity and price of every line
are checked against `order_rules.LineItemFacts` on the way, so an absurd line fails its whole order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from tasks.errors import InvalidOrderPayload
from tasks.shopify import parsing
from tasks.shopify.order_rules import LineItemFacts, invalid_payload

__all__ = ["graphql_products", "webhook_product_ids"]


def webhook_product_ids(payload: Mapping[str, Any]) -> tuple[int, ...]:
    """Distinct product ids of a webhook's line items (ascending), once every line passed its rules."""
    line_items = _list(payload.get("line_items"), "line_items")
    product_ids: dict[int, None] = {}
    quantities: list[object] = []
    prices: list[Decimal | None] = []
    for index, item in enumerate(line_items):
        if not parsing.is_mapping(item):
            raise InvalidOrderPayload(
                f"line_items[{index}] must be an object, got {item!r}", field=f"line_items[{index}]"
            )
        quantities.append(item.get("quantity"))
        prices.append(_webhook_line_price(item, index))
        # A null product_id is a custom item or a deleted product: nothing to attribute.
        product_id = item.get("product_id")
        if product_id is not None:
            product_ids[parsing.int_id(product_id, f"line_items[{index}].product_id")] = None
    _check_lines("line_items", quantities, prices)
    return tuple(sorted(product_ids))


def _webhook_line_price(item: Mapping[str, Any], index: int) -> Decimal | None:
    """A webhook line item's unit price in shop money (`price_set`, else the older `price`), if it has one."""
    for path in ("price_set.shop_money.amount", "price"):
        amount = parsing.dig(item, path)
        if amount is not None:
            return parsing.money(amount, f"line_items[{index}].{path}")
    return None


def _check_lines(items_path: str, quantities: list[object], prices: list[Decimal | None]) -> None:
    """Apply `LineItemFacts` to an order's lines; a broken rule names e.g. `line_items[2].quantity`."""
    try:
        LineItemFacts(quantity=tuple(quantities), price=tuple(prices))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        rule, index = first["loc"][0], first["loc"][1]
        raise invalid_payload(error, {f"{rule}.{index}": f"{items_path}[{index}].{rule}"}) from None


def graphql_products(node: Mapping[str, Any]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Distinct product ids of the line items (ascending), with each product's type at the same position."""
    types_by_product: dict[int, str] = {}
    quantities: list[object] = []
    for index, item in enumerate(_list(parsing.dig(node, "lineItems.nodes"), "lineItems.nodes")):
        if not parsing.is_mapping(item):
            raise InvalidOrderPayload(
                f"lineItems.nodes[{index}] must be an object, got {item!r}", field=f"lineItems.nodes[{index}]"
            )
        quantities.append(item.get("quantity"))
        product = item.get("product")
        if product is None:
            continue
        field = f"lineItems.nodes[{index}].product.id"
        product_id = parsing.gid_id(parsing.require(product, "id"), field, "Product")
        product_type = parsing.optional_text(
            product.get("productType"), f"lineItems.nodes[{index}].product.productType"
        )
        types_by_product.setdefault(product_id, product_type or "")
    _check_lines("lineItems.nodes", quantities, [None] * len(quantities))
    product_ids = tuple(sorted(types_by_product))
    return product_ids, tuple(types_by_product[product_id] for product_id in product_ids)


def _list(value: object, field: str) -> Sequence[Any]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return value
    raise InvalidOrderPayload(f"{field} must be a list, got {type(value).__name__}", field=field)
