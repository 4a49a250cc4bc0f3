"""The sandbox Shopify Admin GraphQL API as a Starlette app, plus its `/_sandbox` controls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import FaultInjectionMiddleware, FaultPlan, faults_routes
from sandbox.shopify.bulk import BulkOperations
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.dispatcher import WebhookDispatcher, webhook_routes
from sandbox.shopify.oauth import TokenIssuer, oauth_routes
from sandbox.shopify.resolvers_connection import ResolverContext
from sandbox.shopify.schema import execute_graphql, load_schema, serialize_datetime
from sandbox.shopify.store import ShopifyStore
from sandbox.shopify.throttle import LeakyBucket

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
VERSION_HEADER = "X-Shopify-API-Version"
_RELEASE = re.compile(r"\d{4}-(01|04|07|10)")


@dataclass
class ShopifySandbox:
    """Live state behind one app: the store, its cost bucket, bulk jobs and fault plan."""

    store: ShopifyStore
    config: ShopifySandboxConfig
    bucket: LeakyBucket
    bulk: BulkOperations
    faults: FaultPlan
    tokens: TokenIssuer
    webhooks: WebhookDispatcher

    def reset(self) -> None:
        """Back to the store's initial records, a full bucket, no bulk operations, tokens or deliveries."""
        self.store.reset()
        self.bucket.reset()
        self.bulk.reset()
        self.tokens.reset()
        self.webhooks.reset()


def served_version(requested: str, supported: tuple[str, ...]) -> str | None:
    """The version Shopify would serve: itself, the oldest supported for a retired release
    (Shopify falls forward), or None (404) for anything else."""
    if requested in supported:
        return requested
    if _RELEASE.fullmatch(requested) and requested < supported[0]:
        return supported[0]
    return None


def shopify_error_body(status: int) -> tuple[bytes, dict[str, str]]:
    """Shopify-shaped bodies (`{"errors": "..."}`) for statuses injected by the fault plan."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    message = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if status == 429:
        headers["Retry-After"] = "2.0"
        message = (
            "Exceeded 2 calls per second for api client. "
            "Reduce request rates to resume uninterrupted service."
        )
    return json.dumps({"errors": message}).encode(), headers


def _errors(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": message}, status_code=status, headers=headers)


async def _request_body(request: Request) -> dict[str, Any] | None:
    """The GraphQL request; `application/graphql` bodies are the bare query, as Shopify allows."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/graphql"):
        return {"query": raw.decode()}
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def graphql_routes(sandbox: ShopifySandbox) -> list[BaseRoute]:
    """`POST /admin/api/{version}/graphql.json`."""

    async def graphql(request: Request) -> Response:
        version = served_version(request.path_params["version"], sandbox.config.api_versions)
        if version is None:
            return _errors(404, "Not Found")
        headers = {VERSION_HEADER: version}
        if sandbox.tokens.check(request.headers.get("x-shopify-access-token")) != "valid":
            return _errors(401, INVALID_TOKEN, headers)
        body = await _request_body(request)
        if body is None:
            return _errors(400, "Bad Request: the body is not a JSON object", headers)
        context = ResolverContext(
            store=sandbox.store,
            bulk=sandbox.bulk,
            config=sandbox.config,
            base_url=str(request.base_url).rstrip("/"),
            api_version=version,
        )
        return JSONResponse(execute_graphql(body, context, sandbox.bucket), headers=headers)

    return [Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"])]


def _moment(body: dict[str, Any], config: ShopifySandboxConfig) -> datetime:
    """`at` from a control request (ISO 8601 with offset), else the sandbox's wall clock."""
    return datetime.fromisoformat(body["at"]) if body.get("at") else config.now()


def sandbox_routes(sandbox: ShopifySandbox) -> list[BaseRoute]:
    """`/_sandbox/*`: state, reset, drift-making order edits and bulk downloads (no token)."""
    store = sandbox.store

    async def state(request: Request) -> Response:
        snapshot = store.snapshot()
        snapshot["bulk_operations"] = [
            sandbox.bulk.as_graphql(op, str(request.base_url).rstrip("/")) for op in sandbox.bulk.all()
        ]
        snapshot["throttle"] = sandbox.bucket.status()
        snapshot["oauth"] = sandbox.tokens.stats()
        snapshot["webhook_deliveries"] = [d.as_json() for d in sandbox.webhooks.deliveries()]
        return Response(json.dumps(snapshot, default=serialize_datetime), media_type="application/json")

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return JSONResponse({"status": "reset"})

    async def upsert_order(request: Request) -> Response:
        body = await _request_body(request)
        if not body or not isinstance(body.get("id"), int) or "line_items" not in body:
            return _errors(422, "a REST order with an integer id and line_items is required")
        store.upsert_order(body)
        return JSONResponse(store.get_order(body["id"]))

    async def refund(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        body = await _request_body(request) or {}
        if store.get_order(order_id) is None:
            return _errors(404, "Not Found")
        try:
            refund = store.refund_order(order_id, Decimal(str(body["amount"])), _moment(body, sandbox.config))
        except (KeyError, InvalidOperation, ValueError) as error:
            return _errors(422, f"invalid refund: {error}")
        return JSONResponse(refund, status_code=201)

    async def cancel(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        body = await _request_body(request) or {}
        if store.get_order(order_id) is None:
            return _errors(404, "Not Found")
        return JSONResponse(store.cancel_order(order_id, _moment(body, sandbox.config)))

    async def bulk_file(request: Request) -> Response:
        operation = sandbox.bulk.get(request.path_params["operation_id"])
        content = sandbox.bulk.jsonl(operation) if operation else None
        if content is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        if isinstance(content, Path):
            return FileResponse(content, media_type="application/jsonl")
        return Response(content, media_type="application/jsonl")

    return [
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/orders", upsert_order, methods=["POST"]),
        Route("/_sandbox/orders/{order_id:int}/refund", refund, methods=["POST"]),
        Route("/_sandbox/orders/{order_id:int}/cancel", cancel, methods=["POST"]),
        Route("/_sandbox/bulk/{operation_id:int}.jsonl", bulk_file, methods=["GET"]),
        *faults_routes(sandbox.faults),
    ]


def create_app(
    store: ShopifyStore,
    config: ShopifySandboxConfig | None = None,
    faults: FaultPlan | None = None,
    webhook_http: Callable[[], httpx.Client] | None = None,
) -> Starlette:
    """The sandbox Shopify Admin API over `store`, wrapped in fault injection.

    Args:
        store: The shop's records; `/_sandbox/reset` returns them to their state at creation.
        config: Tokens and client credentials, versions, cost limits, bulk timing and clocks (default:
            Standard plan).
        faults: The live fault plan (default: no faults until `PUT /_sandbox/faults`).
        webhook_http: Makes the client webhooks are delivered with (tests pass a receiver's TestClient).

    Returns:
        A Starlette app; `app.state.sandbox` is the `ShopifySandbox` behind it.
    """
    config = config or ShopifySandboxConfig()
    load_schema()  # pay the schema build once at startup, not on the first request
    sandbox = ShopifySandbox(
        store=store,
        config=config,
        bucket=LeakyBucket(config.maximum_available, config.restore_rate, config.clock),
        bulk=BulkOperations(config),
        faults=faults or FaultPlan(),
        tokens=TokenIssuer(config),
        webhooks=WebhookDispatcher(store, config, webhook_http),
    )
    routes = [
        *graphql_routes(sandbox),
        *oauth_routes(sandbox.tokens),
        *webhook_routes(sandbox.webhooks),
        *sandbox_routes(sandbox),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    app.add_middleware(
        FaultInjectionMiddleware, plan=sandbox.faults, error_body=shopify_error_body, sleep=config.sleep
    )
    return app
