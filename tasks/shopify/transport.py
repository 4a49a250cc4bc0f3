"""One request path to the Admin GraphQL endpoint: pace, post, classify the reply, retry what is transient."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
import tenacity
from pydantic import ValidationError

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError
from tasks.shopify.graphql_models import QueryCost
from tasks.shopify.pacing import CostPacer, throttled_wait

_logger = logging.getLogger(__name__)

# Shopify reports a transient server fault inside a 200 reply with this code; it succeeds on a retry.
_RETRYABLE_ERROR_CODES = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR"})
_ACCESS_DENIED = "ACCESS_DENIED"


class ShopifyTokenRefused(ShopifyFetchFailed):
    """Shopify answered 401/403 to the access token (wrong, revoked, or the app was uninstalled)."""


class ShopifyAccessDenied(ShopifyFetchFailed):
    """The app lacks an access scope, or protected customer data access, for fields it asked for.

    `fields` holds the path of each refused field, e.g. ("orders",) or ("customers", "nodes", "0", "email").
    """

    def __init__(self, message: str, fields: list[tuple[str, ...]]) -> None:
        super().__init__(message)
        self.fields = fields


class GraphQLEndpoint:
    """Posts documents to one GraphQL URL through the pacer and the retry policy; returns `data`."""

    def __init__(self, http: httpx.Client, url: str, retry: tenacity.Retrying, pacer: CostPacer) -> None:
        self._http = http
        self._url = url
        self._retry = retry
        self._pacer = pacer

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run `document` and return its `data` object.

        Raises:
            RetryableError: Throttling, 429 or 5xx persisted through every attempt.
            httpx.TransportError: The network failed through every attempt.
            ShopifyFetchFailed: Shopify refused the request (auth, GraphQL errors, malformed reply).
        """
        self._pacer.wait_before(document)
        result: dict[str, Any] = self._retry(self._post_once, document, dict(variables or {}))
        return result

    def _post_once(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(self._url, json={"query": document, "variables": variables})
        if response.status_code in (401, 403):
            raise ShopifyTokenRefused(
                f"Shopify refused the access token (HTTP {response.status_code}): {_error_text(response)}"
            )
        body = _json_object(response)
        cost = _cost(body)
        self._pacer.observe(document, cost)
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(
                f"Shopify answered HTTP {response.status_code}", wait_seconds=_http_wait(response, cost)
            )
        if response.status_code != 200:
            raise ShopifyFetchFailed(f"Shopify answered HTTP {response.status_code}: {_error_text(response)}")
        if body is None:
            raise ShopifyFetchFailed(f"Shopify reply is not a JSON object: {response.text[:300]!r}")
        return _data(body, cost)


def _data(body: Mapping[str, Any], cost: QueryCost | None) -> dict[str, Any]:
    """`data` of a 200 reply; `errors[]` become RetryableError (throttled, internal) or ShopifyFetchFailed."""
    errors = body.get("errors")
    if errors:
        codes = _error_codes(errors)
        if codes & _RETRYABLE_ERROR_CODES:
            wait = throttled_wait(cost) if "THROTTLED" in codes else None
            raise RetryableError(f"Shopify GraphQL {'/'.join(sorted(codes))}: {_messages(errors)}", wait)
        if codes == {_ACCESS_DENIED}:
            raise ShopifyAccessDenied(f"Shopify denied access: {_messages(errors)}", _error_paths(errors))
        raise ShopifyFetchFailed(f"Shopify GraphQL errors: {_messages(errors)}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise ShopifyFetchFailed(f"Shopify reply has no data object: {str(body)[:300]}")
    return data


def _error_codes(errors: object) -> set[str]:
    codes: set[str] = set()
    for error in errors if isinstance(errors, list) else [errors]:
        if not isinstance(error, dict):
            continue
        code = (error.get("extensions") or {}).get("code")
        # Older throttled replies carry only the message, no extensions.code.
        if code is None and error.get("message") == "Throttled":
            code = "THROTTLED"
        if isinstance(code, str):
            codes.add(code)
    return codes


def _error_paths(errors: object) -> list[tuple[str, ...]]:
    items = errors if isinstance(errors, list) else [errors]
    return [tuple(str(part) for part in item.get("path") or ()) for item in items if isinstance(item, dict)]


def _messages(errors: object) -> str:
    if isinstance(errors, str):
        return errors
    items = errors if isinstance(errors, list) else [errors]
    return "; ".join(
        str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in items
    )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The reply body as a JSON object, or None (HTML error pages from proxies, truncated bodies)."""
    try:
        # Decimal floats: an amount sent as a JSON number keeps its digits instead of passing through a float.
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _cost(body: Mapping[str, Any] | None) -> QueryCost | None:
    raw = ((body or {}).get("extensions") or {}).get("cost")
    if not isinstance(raw, dict):
        return None
    try:
        return QueryCost.model_validate(raw)
    except ValidationError:
        _logger.warning("Ignoring a malformed extensions.cost: %r", raw)
        return None


def _http_wait(response: httpx.Response, cost: QueryCost | None) -> float | None:
    """Retry-After when Shopify sent one, else the cost deficit, else None (exponential backoff)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass  # an HTTP-date Retry-After; the cost deficit or backoff is good enough
    return throttled_wait(cost)


def _error_text(response: httpx.Response) -> str:
    """Shopify's own error message (`{"errors": "..."}` or `errors[].message`), else the start of the body."""
    body = _json_object(response)
    if body is not None and body.get("errors"):
        return _messages(body["errors"])
    return response.text[:300]
