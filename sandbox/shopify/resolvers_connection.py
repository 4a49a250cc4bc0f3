"""Resolver context, ids and Relay cursor pagination shared by every resolver module."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.search_query import FilterField, parse_search_query, parse_timestamp
from sandbox.shopify.store import ShopifyStore

if TYPE_CHECKING:
    from sandbox.shopify.bulk import BulkOperations

Record = dict[str, Any]
SortValue = tuple[Any, int]
SortKeyFn = Callable[[Record], SortValue]


@dataclass(frozen=True)
class ResolverContext:
    """Everything resolvers read; `bulk_mode` lifts the page-size rules for bulk queries."""

    store: ShopifyStore
    bulk: BulkOperations
    config: ShopifySandboxConfig
    base_url: str
    api_version: str = ""
    bulk_mode: bool = False


Info = GraphQLResolveInfo[ResolverContext]


def context_of(info: Info) -> ResolverContext:
    """The resolver context of a request."""
    return info.context


def snake_case_resolver(source: Any, info: Info, **args: Any) -> Any:
    """Default resolver: GraphQL `currentTotalPriceSet` reads REST `current_total_price_set`.

    Values already in GraphQL shape (connections, bulk operations) are found under their
    own name first.
    """
    name = info.field_name
    if isinstance(source, Mapping):
        if name in source:
            return source[name]
        return source.get(_snake(name))
    return getattr(source, name, None)


@cache
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def timestamp_key(value: str | datetime | None) -> str:
    """A sortable UTC form of a timestamp (microseconds, `Z`)."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else parse_timestamp(value)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def by_timestamp(field: str) -> SortKeyFn:
    """Sort key on a REST timestamp field, ties broken by id."""
    return lambda record: (timestamp_key(record.get(field)), int(record["id"]))


def by_id(record: Record) -> SortValue:
    """Sort key on the numeric id."""
    return (int(record["id"]), int(record["id"]))


def encode_cursor(key: SortValue) -> str:
    """An opaque cursor; like Shopify's it is base64 JSON of the last id and sort value."""
    payload = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode()


def decode_cursor(cursor: str) -> SortValue:
    """Read a cursor back; raises GraphQLError when it was not produced by this sandbox."""
    try:
        payload = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return (payload["last_value"], int(payload["last_id"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from error


@dataclass(frozen=True)
class Searchable:
    """How a connection filters (`query:`) and sorts (`sortKey`) its records."""

    name: str
    filters: Mapping[str, FilterField]
    sort_keys: Mapping[str, SortKeyFn]
    default_sort: str


def search_connection(
    records: Sequence[Record], spec: Searchable, info: Info, args: dict[str, Any]
) -> Record:
    """Filter (`query:`), sort (`sortKey`, `reverse`) and page records as a connection."""
    sort_name = args.get("sortKey") or spec.default_sort
    sort_key = spec.sort_keys.get(sort_name)
    if sort_key is None:
        raise GraphQLError(f"The sandbox does not support sortKey {sort_name} on {spec.name}.")
    query = parse_search_query(args.get("query"))
    timezone = context_of(info).store.shop.iana_timezone
    matching = [r for r in records if query.matches(r, spec.filters, timezone)]
    return paginate(matching, sort_key, args, info)


def paginate(records: Sequence[Record], sort_key: SortKeyFn, args: dict[str, Any], info: Info) -> Record:
    """Sort, slice and shape records as a Relay connection (`nodes`, `edges`, `pageInfo`).

    Args:
        records: Already filtered records.
        sort_key: Gives each record a unique, comparable (value, id) key.
        args: The connection arguments (first, after, last, before, reverse).
        info: Resolver info (for the context and the page-size rules).

    Returns:
        A dict the default resolvers read as a `...Connection` object.

    Raises:
        GraphQLError: Missing or too large `first`/`last`, `last` without `before`, bad cursor.
    """
    if context_of(info).bulk_mode:
        # Bulk operations ignore first/after and friends and export everything.
        args = {"reverse": args.get("reverse")}
    else:
        _check_page_args(
            args.get("first"), args.get("last"), args.get("before"), context_of(info).config.max_page_size
        )
    first, last = args.get("first"), args.get("last")
    keyed = sorted(((sort_key(r), r) for r in records), key=lambda pair: pair[0])
    if args.get("reverse"):
        keyed.reverse()
    before_start, window = _window(keyed, args, bool(args.get("reverse")))
    after_end = len(keyed) - before_start - len(window)
    if first is not None and len(window) > first:
        after_end += len(window) - first
        window = window[:first]
    if last is not None and len(window) > last:
        before_start += len(window) - last
        window = window[len(window) - last :]
    return _connection(window, has_previous=before_start > 0, has_next=after_end > 0)


def _check_page_args(first: int | None, last: int | None, before: str | None, limit: int) -> None:
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if last is not None and before is None and first is None:
        raise GraphQLError("using last without before is not supported")
    for name, size in (("first", first), ("last", last)):
        if size is not None and size > limit:
            raise GraphQLError(
                f"{name} cannot exceed {limit}. To query larger amounts of data with fewer "
                "limits, bulk operations should be used instead.\nSee "
                "https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
            )
        if size is not None and size < 0:
            raise GraphQLError(f"{name} must be a non-negative integer")


def _window(
    keyed: list[tuple[SortValue, Record]], args: dict[str, Any], reverse: bool
) -> tuple[int, list[tuple[SortValue, Record]]]:
    """Items strictly between the `after` and `before` cursors, and how many precede them."""

    def beyond(key: SortValue, cursor: SortValue) -> bool:
        return key < cursor if reverse else key > cursor

    start, end = 0, len(keyed)
    try:
        if args.get("after"):
            cursor = decode_cursor(args["after"])
            start = next((i for i, (key, _) in enumerate(keyed) if beyond(key, cursor)), end)
        if args.get("before"):
            cursor = decode_cursor(args["before"])
            end = next((i for i, (key, _) in enumerate(keyed) if not beyond(cursor, key)), end)
    except TypeError as error:  # a cursor made for another sort key
        raise GraphQLError("Invalid cursor for current pagination sort.") from error
    end = max(start, end)
    return start, keyed[start:end]


def _connection(window: list[tuple[SortValue, Record]], has_previous: bool, has_next: bool) -> Record:
    cursors = [encode_cursor(key) for key, _ in window]
    nodes = [record for _, record in window]
    return {
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }
