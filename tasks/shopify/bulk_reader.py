"""Reads a bulk-operation JSONL result back into nested GraphQL objects (and `OrderRecord`s).

With `groupObjects: false` Shopify flattens every connection: each child (a `LineItem`) is its own line with
`"__parentId": "<parent gid>"`, in no promised order relative to its parent. Reading therefore happens in two
passes: index every object by id, then hang each child under `<connection>.nodes` of its parent, so the result
has the same shape as a paged query's node and goes through the same `OrderRecord.from_graphql`.

Shopify writes the children after every parent, so nesting needs the whole file at once; for a large export
(a million orders is about 1 GB of JSONL and was ~7 GB as Python objects) the file is first split into
buckets of about `BUCKET_BYTES`, each object in the bucket of its family (its parent's id, or its own), and
the buckets are nested one at a time: memory stays flat whatever the size of the shop.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson
import polars as pl

from tasks.errors import ShopifyFetchFailed
from tasks.shopify.models import OrderRecord
from tasks.shopify.rejections import OnInvalid, read_graphql_order

__all__ = [
    "CHILD_CONNECTIONS",
    "iter_bulk_objects",
    "iter_bulk_orders",
    "nest_bulk_objects",
    "read_bulk_objects",
]

PARENT_KEY = "__parentId"
# A 16 MB bucket of JSONL becomes ~100 MB of nested Python objects while it is read.
BUCKET_BYTES = 16 * 1024 * 1024
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
    return _nest(enumerate(lines, start=1), child_connections)


def _nest(
    numbered_lines: Iterable[tuple[int, str | bytes]], child_connections: Mapping[str, str]
) -> list[dict[str, Any]]:
    """`nest_bulk_objects` over (line number in the file, line) pairs."""
    roots: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    children: list[tuple[int, dict[str, Any]]] = []
    for number, line in numbered_lines:
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


def iter_bulk_objects(path: Path, bucket_bytes: int = BUCKET_BYTES) -> Iterator[dict[str, Any]]:
    """The top-level objects of a bulk result file, nested like `read_bulk_objects`, in bounded memory.

    A file up to `bucket_bytes` is read at once, in file order; a larger one bucket by bucket (objects in no
    particular order), through bucket files written next to it and deleted afterwards.

    Raises:
        ShopifyFetchFailed: The file is malformed (as `nest_bulk_objects`, with the file's line numbers).
    """
    size = path.stat().st_size
    if size <= bucket_bytes:
        yield from read_bulk_objects(path)
        return
    directory = path.parent / f"{path.name}.buckets"
    directory.mkdir(exist_ok=True)
    try:
        buckets = _split_by_family(path, math.ceil(size / bucket_bytes), directory)
        for bucket in buckets:
            with bucket.open("rb") as file:
                yield from _nest(_numbered(file), CHILD_CONNECTIONS)
            bucket.unlink()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def iter_bulk_orders(
    path: Path, shop_timezone: ZoneInfo, on_invalid: OnInvalid | None = None
) -> Iterator[OrderRecord]:
    """The orders of a bulk export file as records (see `operations.bulk_orders_query`), streamed.

    An order that breaks a rule is handed to `on_invalid` and left out, so one bad order of a million does
    not stop the export being read.

    Raises:
        ShopifyFetchFailed: The file is malformed.
        InvalidOrderPayload: An order breaks a rule and `on_invalid` is None.
    """
    for node in iter_bulk_objects(path):
        record = read_graphql_order(node, shop_timezone, on_invalid)
        if record is not None:
            yield record


def _split_by_family(path: Path, count: int, directory: Path) -> list[Path]:
    """Copy each non-blank line to bucket `hash(family) % count` as `<line number>\t<line>`."""
    buckets = _family_buckets(path, count)
    paths = [directory / f"{index:05d}.jsonl" for index in range(count)]
    with ExitStack() as stack, path.open("rb") as source:
        files: list[IO[bytes]] = [stack.enter_context(bucket.open("wb")) for bucket in paths]
        # Polars skips blank lines exactly as this loop does, so the i-th bucket is the i-th such line's.
        objects = (item for item in enumerate(source, start=1) if item[1].strip())
        for (number, line), bucket in zip(objects, buckets, strict=True):
            files[bucket].write(b"%d\t%s" % (number, line if line.endswith(b"\n") else line + b"\n"))
    return paths


def _family_buckets(path: Path, count: int) -> list[int]:
    """Each non-blank line's bucket: a hash of its parent's id, or of its own id for a top-level object."""
    schema = {"id": pl.String(), PARENT_KEY: pl.String()}
    family = pl.coalesce(pl.col(PARENT_KEY), pl.col("id"))
    try:
        frame = pl.scan_ndjson(path, schema=schema).select((family.hash(0) % count).alias("bucket")).collect()
    except pl.exceptions.PolarsError:
        _raise_first_malformed_line(path)
        raise
    return frame.get_column("bucket").to_list()


def _raise_first_malformed_line(path: Path) -> None:
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                _parse_line(line, number)


def _numbered(bucket: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for entry in bucket:
        number, line = entry.split(b"\t", 1)
        yield int(number), line


def _parse_line(line: str | bytes, number: int) -> dict[str, Any]:
    try:
        # orjson parses a line in about a third of the stdlib's time (a million-order export has three
        # million lines). Amounts are decimal strings in the Admin API; a stray JSON number would arrive as
        # a float, which `parsing.money` reads through its shortest repr: exact to 15 significant digits.
        item = orjson.loads(line)
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
