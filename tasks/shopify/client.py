"""Shopify Admin GraphQL client: orders, product types, bulk exports; the app's own settings via `.app`.

No orchestration here: the client takes an injected `httpx.Client` (auth, timeouts and user agent are set by
`ShopifyCredentials.get_client`), returns models, and raises domain errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import tenacity

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError, retry_policy
from tasks.shopify import operations, parsing
from tasks.shopify.app_admin import ShopifyAppAdmin
from tasks.shopify.auth import ShopifyAuth
from tasks.shopify.graphql_models import BulkOperation, Connection, UserError, parse_reply
from tasks.shopify.models import OrderRecord
from tasks.shopify.pacing import CostPacer
from tasks.shopify.rejections import OnInvalid, read_graphql_order
from tasks.shopify.transport import GraphQLEndpoint

__all__ = ["BulkOperationBusy", "ShopifyAuth", "ShopifyClient"]

_DOWNLOAD_CHUNK_BYTES = 1 << 16


class BulkOperationBusy(ShopifyFetchFailed):
    """Shopify refused a bulk export because one is already running for this app and shop."""

    def __init__(self, message: str, running: BulkOperation | None) -> None:
        super().__init__(message)
        self.running = running


class ShopifyClient:
    """Reads a shop through the Admin GraphQL API; every request goes through one paced, retried path."""

    def __init__(
        self,
        http: httpx.Client,
        graphql_url: str,
        *,
        shop_timezone: ZoneInfo | str,
        retry: tenacity.Retrying | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wire the client.

        Args:
            http: The HTTP client; it carries auth (`ShopifyAuth`), timeouts and the user agent.
            graphql_url: The Admin GraphQL endpoint, `https://<shop>/admin/api/<version>/graphql.json`.
            shop_timezone: The shop's IANA zone, which decides each order's business date.
            retry: The retry policy (default `retry_policy()`); tests inject one that does not sleep.
            sleep: How cost pacing and bulk polling wait.
            clock: Monotonic seconds, for how much of the cost bucket has refilled.
        """
        self._http = http
        self._retry = retry or retry_policy()
        self._sleep = sleep
        self._clock = clock
        self._timezone = ZoneInfo(shop_timezone) if isinstance(shop_timezone, str) else shop_timezone
        self._endpoint = GraphQLEndpoint(http, graphql_url, self._retry, CostPacer(sleep=sleep, clock=clock))

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._http.close()

    @property
    def app(self) -> ShopifyAppAdmin:
        """The app's own settings on the shop: access scopes, customer data access, webhook subscriptions."""
        return ShopifyAppAdmin(self._execute, self._iter_connection)

    def _execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._endpoint.execute(query, variables)

    def _iter_connection(self, query: str, variables: Mapping[str, Any], field: str) -> Iterator[Connection]:
        """Yield each page of the connection `field`, following `pageInfo` until the last page."""
        page_variables = dict(variables)
        while True:
            page = parse_reply(Connection, self._execute(query, page_variables).get(field), field)
            yield page
            if not page.page_info.has_next_page:
                return
            if not page.page_info.end_cursor:
                raise ShopifyFetchFailed(f"{field} page says hasNextPage but has no endCursor")
            # The cursor encodes the filter and sort order, so only `after` changes between pages.
            page_variables["after"] = page.page_info.end_cursor

    def iter_order_pages(
        self,
        since: datetime | None,
        until: datetime | None,
        page_size: int = operations.MAX_ORDERS_PER_PAGE,
        on_invalid: OnInvalid | None = None,
    ) -> Iterator[list[OrderRecord]]:
        """Yield orders updated in [since, until), one page at a time, oldest update first.

        Args:
            since: Inclusive lower bound on `updated_at` (aware), or None for no bound.
            until: Exclusive upper bound on `updated_at` (aware), or None for no bound.
            page_size: Orders per request; above `MAX_ORDERS_PER_PAGE` the query exceeds Shopify's cost cap.
            on_invalid: Told about each order that breaks a rule, which is then left out; None raises.

        Yields:
            One list of records per page.

        Raises:
            ShopifyFetchFailed: Shopify refused a request or sent a malformed page.
            InvalidOrderPayload: An order breaks a rule and `on_invalid` is None.
        """
        if not 1 <= page_size <= 250:
            raise ValueError(f"page_size must be between 1 and 250, got {page_size}")
        variables = {"first": page_size, "after": None, "query": operations.orders_search_query(since, until)}
        for page in self._iter_connection(operations.ORDERS_PAGE, variables, "orders"):
            yield self._records(page.nodes, on_invalid)

    def fetch_orders_by_ids(
        self, order_ids: Sequence[int], on_invalid: OnInvalid | None = None
    ) -> list[OrderRecord]:
        """Fetch orders by REST id; ids Shopify no longer knows (deleted orders) are left out.

        Args:
            order_ids: REST ids of the orders.
            on_invalid: Told about each order that breaks a rule, which is then left out; None raises.

        Raises:
            ShopifyFetchFailed: Shopify refused a request or sent a malformed reply.
            InvalidOrderPayload: An order breaks a rule and `on_invalid` is None.
        """
        records: list[OrderRecord] = []
        for nodes in self._nodes_by_ids(
            operations.ORDERS_BY_IDS, "Order", order_ids, operations.MAX_ORDERS_PER_PAGE
        ):
            records.extend(self._records(nodes, on_invalid))
        return records

    def _records(self, nodes: Sequence[Mapping[str, Any]], on_invalid: OnInvalid | None) -> list[OrderRecord]:
        read = (read_graphql_order(node, self._timezone, on_invalid) for node in nodes)
        return [record for record in read if record is not None]

    def product_types(self, product_ids: Sequence[int]) -> dict[int, str]:
        """Product type by product id ("" when the product has none); deleted products are left out.

        Raises:
            ShopifyFetchFailed: Shopify refused a request or sent a malformed reply.
        """
        types: dict[int, str] = {}
        for nodes in self._nodes_by_ids(operations.PRODUCT_TYPES, "Product", product_ids):
            for node in nodes:
                product_id = parsing.gid_id(node.get("id"), "nodes[].id", "Product")
                types[product_id] = node.get("productType") or ""
        return types

    def _nodes_by_ids(
        self,
        query: str,
        resource: str,
        ids: Sequence[int],
        chunk_size: int = operations.MAX_IDS_PER_NODES_QUERY,
    ) -> Iterator[list[dict[str, Any]]]:
        """`nodes(ids:)` in chunks, yielding the non-null nodes of each chunk."""
        unique_ids = list(dict.fromkeys(ids))
        for start in range(0, len(unique_ids), chunk_size):
            gids = [
                parsing.gid_for(resource, legacy_id) for legacy_id in unique_ids[start : start + chunk_size]
            ]
            nodes = self._execute(query, {"ids": gids}).get("nodes")
            if not isinstance(nodes, list):
                raise ShopifyFetchFailed(f"nodes(ids:) reply for {resource} has no nodes list")
            yield [node for node in nodes if isinstance(node, dict) and node]

    def run_bulk_orders_export(self, since: datetime | None) -> BulkOperation:
        """Start a bulk export of orders updated since `since` (all orders when None), line items included.

        Returns:
            The created operation (status CREATED or RUNNING); poll it with `poll_bulk_operation`.

        Raises:
            BulkOperationBusy: Another bulk query is running; `.running` holds it when Shopify lists it.
            ShopifyFetchFailed: Shopify refused the query for another reason.
        """
        data = self._execute(
            operations.BULK_OPERATION_RUN_QUERY, {"query": operations.bulk_orders_query(since)}
        )
        payload = data.get("bulkOperationRunQuery") or {}
        errors = [parse_reply(UserError, error, "userErrors[]") for error in payload.get("userErrors") or []]
        if errors:
            message = "; ".join(error.message for error in errors)
            if any("already in progress" in error.message for error in errors):
                raise BulkOperationBusy(f"bulk export refused: {message}", self.running_bulk_operation())
            raise ShopifyFetchFailed(f"bulk export refused: {message}")
        return parse_reply(BulkOperation, payload.get("bulkOperation"), "bulkOperationRunQuery.bulkOperation")

    def running_bulk_operation(self) -> BulkOperation | None:
        """The bulk query currently running for this app, if any."""
        data = self._execute(operations.RUNNING_BULK_OPERATIONS)
        nodes = (data.get("bulkOperations") or {}).get("nodes") or []
        return parse_reply(BulkOperation, nodes[0], "bulkOperations.nodes[0]") if nodes else None

    def poll_bulk_operation(self, operation_id: str) -> BulkOperation:
        """The current state of a bulk operation.

        Raises:
            ShopifyFetchFailed: No bulk operation has that id.
        """
        node = self._execute(operations.BULK_OPERATION_NODE, {"id": operation_id}).get("node")
        if not node:
            raise ShopifyFetchFailed(f"no bulk operation {operation_id}")
        return parse_reply(BulkOperation, node, "node")

    def wait_for_bulk_operation(
        self, operation_id: str, poll_seconds: float = 5.0, timeout_seconds: float = 3600.0
    ) -> BulkOperation:
        """Poll until the operation finishes (completed, failed, canceled or expired) and return it.

        Raises:
            ShopifyFetchFailed: It did not finish within `timeout_seconds`.
        """
        deadline = self._clock() + timeout_seconds
        while not (operation := self.poll_bulk_operation(operation_id)).finished:
            if self._clock() >= deadline:
                raise ShopifyFetchFailed(
                    f"bulk operation {operation_id} still {operation.status} after timeout"
                )
            self._sleep(poll_seconds)
        return operation

    def download_bulk_result(self, url: str, dest: Path) -> Path:
        """Stream a bulk result file to `dest` (written whole or not at all) and return `dest`.

        The URL is pre-signed storage, so the request carries no Shopify token.

        Raises:
            ShopifyFetchFailed: The download was refused (e.g. the link expired).
        """
        result: Path = self._retry(self._download_once, url, dest)
        return result

    def _download_once(self, url: str, dest: Path) -> Path:
        partial = dest.with_name(dest.name + ".part")
        # auth=None drops the client's ShopifyAuth: the token must never reach the storage host.
        with self._http.stream("GET", url, auth=None) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableError(f"bulk result download answered HTTP {response.status_code}")
            if response.status_code != 200:
                raise ShopifyFetchFailed(f"bulk result download answered HTTP {response.status_code}")
            with partial.open("wb") as file:
                for chunk in response.iter_bytes(_DOWNLOAD_CHUNK_BYTES):
                    file.write(chunk)
        partial.replace(dest)
        return dest
