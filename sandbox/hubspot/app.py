"""The sandbox HubSpot CRM API as a Starlette app (both v3 and 2026-03 paths)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.hubspot import batch, contacts, properties, search
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.errors import (
    CORRELATION_HEADER,
    HubSpotError,
    error_response,
    invalid_authentication,
    new_correlation_id,
    rate_limited_response,
)
from sandbox.hubspot.ratelimit import RateLimiter
from sandbox.hubspot.sandbox_routes import sandbox_routes
from sandbox.hubspot.store import HubSpotStore
from sandbox.hubspot.wire import SandboxContext

Handler = Callable[[Request, SandboxContext], Awaitable[Response]]

OBJECT_PREFIXES = ("/crm/v3/objects", "/crm/objects/2026-03")
PROPERTY_PREFIXES = ("/crm/v3/properties", "/crm/properties/2026-03")

# Fixed paths come before `{contact_id}` so that "search" is never taken for an id.
CONTACT_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/contacts", contacts.list_contacts),
    ("POST", "/contacts", contacts.create_contact),
    ("POST", "/contacts/search", search.search_contacts),
    ("POST", "/contacts/merge", contacts.merge_contacts),
    ("POST", "/contacts/batch/read", batch.batch_read),
    ("POST", "/contacts/batch/update", batch.batch_update),
    ("POST", "/contacts/batch/create", batch.batch_create),
    ("POST", "/contacts/batch/upsert", batch.batch_upsert),
    ("GET", "/contacts/{contact_id}", contacts.get_contact),
    ("PATCH", "/contacts/{contact_id}", contacts.update_contact),
    ("DELETE", "/contacts/{contact_id}", contacts.archive_contact),
]
PROPERTY_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/contacts", properties.list_properties),
    ("POST", "/contacts", properties.create_property),
    ("GET", "/contacts/groups", properties.list_groups),
    ("POST", "/contacts/groups", properties.create_group),
    ("GET", "/contacts/groups/{group_name}", properties.get_group),
    ("GET", "/contacts/{property_name}", properties.get_property),
    ("PATCH", "/contacts/{property_name}", properties.update_property),
]


def _authorized(request: Request, config: HubSpotSandboxConfig) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.strip() == config.access_token


def _api_endpoint(ctx: SandboxContext, handler: Handler, label: str) -> Callable[..., Awaitable[Response]]:
    """Wrap a handler with auth, rate limiting, error rendering and HubSpot headers."""
    is_search = handler is search.search_contacts

    async def endpoint(request: Request) -> Response:
        if not _authorized(request, ctx.config):
            return error_response(invalid_authentication())
        policy = ctx.limiter.admit(label, search=is_search)
        # Search responses carry no rate-limit headers (api-facts B5).
        rate_headers = {} if is_search else ctx.limiter.headers()
        if policy is not None:
            return rate_limited_response(policy, rate_headers)
        try:
            response = await handler(request, ctx)
        except HubSpotError as error:
            return error_response(error, rate_headers)
        response.headers.update(rate_headers)
        response.headers.setdefault(CORRELATION_HEADER, new_correlation_id())
        return response

    return endpoint


def api_routes(ctx: SandboxContext) -> list[BaseRoute]:
    """Every API route under both the v3 and the date-versioned prefixes."""
    routes: list[BaseRoute] = []
    families = [(OBJECT_PREFIXES, CONTACT_ROUTES), (PROPERTY_PREFIXES, PROPERTY_ROUTES)]
    for prefixes, table in families:
        for method, path, handler in table:
            label = f"{method} {prefixes[0].rsplit('/', 1)[-1]}{path}"
            endpoint = _api_endpoint(ctx, handler, label)
            routes += [Route(prefix + path, endpoint, methods=[method]) for prefix in prefixes]
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get a HubSpot-shaped body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    category = {404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR"}.get(status, "INTERNAL_ERROR")
    message = f"No route for {request.method} {request.url.path}"
    return error_response(HubSpotError(status, category, message))


def create_app(store: HubSpotStore, config: HubSpotSandboxConfig | None = None) -> Starlette:
    """The sandbox HubSpot app over `store`.

    Args:
        store: the portal's data; `/_sandbox/reset` returns it to its state at this call.
        config: tokens, limits, search lag and clock (defaults: `HubSpotSandboxConfig()`).

    Returns:
        A Starlette app serving `/crm/v3/...`, `/crm/.../2026-03/...` and `/_sandbox/...`.
    """
    config = config or HubSpotSandboxConfig()
    ctx = SandboxContext(store, config, RateLimiter(config), store.checkpoint())
    routes = [*api_routes(ctx), *sandbox_routes(ctx)]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.sandbox = ctx
    return app
