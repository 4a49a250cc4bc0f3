"""Reads a bulk-operation JSONL result back into nested GraphQL objects (and `OrderRecord`s).

With `groupObjects: false` Shopify flattens every connection: each child (a `LineItem`) is its own line with
`"__parentId": "<parent gid>"`, in no promised order relative to its parent. Reading therefore happens in two
passes: index every object by id, then hang each child under `<connection>.nodes` of its parent, so the result
has the same shape as a paged query's node and goes through the same `OrderRecord.from_graphql`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tasks.errors import ShopifyFetchFailed
from tasks.shopify.models import OrderRecord

__all__ = ["CHILD_CONNECTIONS", "iter_bulk_orders", "nest_bulk_objects", "read_bulk_objects"]

PARENT_KEY = "__parentId"
# Child object type (from its gid) -> the connection field it was selected through in the bulk query.
CHILD_CONNECTIONS: Mapping[str, str] = {"LineItem": "lineItems"}


def nest_bulk_objects(
    lines: Iterable[str | bytes], child_connections: Mapping[str, str] = CHILD_CONNECTIONS
) -> list[dict[str, Any]]:
    """Rebuild the top-level objects of a bulk result, children nested as `<connection>: {nodes: [...]}`.

    Args:
        lines: The JSONL lines (blank lines are skipped).
        child_connections: Which connection each child type belongs to.

    Returns:
        The top-level objects in file order.

    Raises:
        ShopifyFetchFailed: A line is not a JSON object, a child's parent is missing, or its type is unknown.
    """
    roots: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    children: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(line, number)
        if isinstance(item.get("id"), str):
            by_id[item["id"]] = item
        if PARENT_KEY in item:
            children.append((number, item))
        else:
            roots.append(item)
    for number, child in children:
        _attach(child, number, by_id, child_connections)
    return roots


def read_bulk_objects(path: Path) -> list[dict[str, Any]]:
    """`nest_bulk_objects` over a downloaded JSONL file."""
    with path.open("rb") as file:
        return nest_bulk_objects(file)


def iter_bulk_orders(path: Path, shop_timezone: ZoneInfo) -> Iterator[OrderRecord]:
    """The orders of a bulk export file as records (see `operations.bulk_orders_query`).

    Raises:
        ShopifyFetchFailed: The file is malformed.
        InvalidOrderPayload: An order lacks a field the record needs.
    """
    for node in read_bulk_objects(path):
        yield OrderRecord.from_graphql(node, shop_timezone)


def _parse_line(line: str | bytes, number: int) -> dict[str, Any]:
    try:
        # Decimal floats keep any amount sent as a JSON number exact; ints are exact in Python anyway.
        item = json.loads(line, parse_float=Decimal)
    except ValueError as error:
        raise ShopifyFetchFailed(f"bulk result line {number} is not JSON: {error}") from error
    if not isinstance(item, dict):
        raise ShopifyFetchFailed(f"bulk result line {number} is not a JSON object")
    return item


def _attach(
    child: dict[str, Any], number: int, by_id: Mapping[str, dict[str, Any]], connections: Mapping[str, str]
) -> None:
    parent_id = child.pop(PARENT_KEY)
    parent = by_id.get(parent_id)
    if parent is None:
        raise ShopifyFetchFailed(f"bulk result line {number}: parent {parent_id!r} is not in the file")
    child_type = _gid_type(child.get("id"))
    connection = connections.get(child_type or "")
    if connection is None:
        raise ShopifyFetchFailed(
            f"bulk result line {number}: no connection known for child type {child_type!r}"
        )
    parent.setdefault(connection, {"nodes": []})["nodes"].append(child)


def _gid_type(gid: object) -> str | None:
    """`LineItem` from `gid://shopify/LineItem/123`."""
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/"):
        return None
    return gid.removeprefix("gid://shopify/").split("/", 1)[0]
