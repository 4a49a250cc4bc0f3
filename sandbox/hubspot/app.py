"""The sandbox HubSpot CRM API as a Starlette app (both v3 and 2026-03 paths)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import FaultInjectionMiddleware, FaultPlan
from sandbox.hubspot import batch, contacts, properties, search
from sandbox.hubspot.config import (
    CONTACTS_READ,
    CONTACTS_WRITE,
    SCHEMAS_READ,
    SCHEMAS_WRITE,
    HubSpotSandboxConfig,
)
from sandbox.hubspot.errors import (
    CORRELATION_HEADER,
    HubSpotError,
    error_response,
    expired_authentication,
    injected_fault_body,
    invalid_authentication,
    missing_scopes,
    new_correlation_id,
    rate_limited_response,
)
from sandbox.hubspot.ratelimit import RateLimiter
from sandbox.hubspot.sandbox_routes import sandbox_routes
from sandbox.hubspot.store import HubSpotStore
from sandbox.hubspot.token_info import token_info_routes
from sandbox.hubspot.wire import SandboxContext

Handler = Callable[[Request, SandboxContext], Awaitable[Response]]
RouteSpec = tuple[str, str, Handler, str]

# What the real API reported for a key of the wrong kind (reference error-401-expired-authentication).
_EXPIRED_AT = datetime(1970, 1, 1, tzinfo=UTC)
OBJECT_PREFIXES = ("/crm/v3/objects", "/crm/objects/2026-03")
PROPERTY_PREFIXES = ("/crm/v3/properties", "/crm/properties/2026-03")

# Fixed paths come before `{contact_id}` so that "search" is never taken for an id.
CONTACT_ROUTES: list[RouteSpec] = [
    ("GET", "/contacts", contacts.list_contacts, CONTACTS_READ),
    ("POST", "/contacts", contacts.create_contact, CONTACTS_WRITE),
    ("POST", "/contacts/search", search.search_contacts, CONTACTS_READ),
    ("POST", "/contacts/merge", contacts.merge_contacts, CONTACTS_WRITE),
    ("POST", "/contacts/batch/read", batch.batch_read, CONTACTS_READ),
    ("POST", "/contacts/batch/update", batch.batch_update, CONTACTS_WRITE),
    ("POST", "/contacts/batch/create", batch.batch_create, CONTACTS_WRITE),
    ("POST", "/contacts/batch/upsert", batch.batch_upsert, CONTACTS_WRITE),
    ("GET", "/contacts/{contact_id}", contacts.get_contact, CONTACTS_READ),
    ("PATCH", "/contacts/{contact_id}", contacts.update_contact, CONTACTS_WRITE),
    ("DELETE", "/contacts/{contact_id}", contacts.archive_contact, CONTACTS_WRITE),
]
PROPERTY_ROUTES: list[RouteSpec] = [
    ("GET", "/contacts", properties.list_properties, SCHEMAS_READ),
    ("POST", "/contacts", properties.create_property, SCHEMAS_WRITE),
    ("GET", "/contacts/groups", properties.list_groups, SCHEMAS_READ),
    ("POST", "/contacts/groups", properties.create_group, SCHEMAS_WRITE),
    ("GET", "/contacts/groups/{group_name}", properties.get_group, SCHEMAS_READ),
    ("GET", "/contacts/{property_name}", properties.get_property, SCHEMAS_READ),
    ("PATCH", "/contacts/{property_name}", properties.update_property, SCHEMAS_WRITE),
]


def _access_error(request: Request, config: HubSpotSandboxConfig, scope: str) -> HubSpotError | None:
    """401 for a missing, unknown or expired bearer token; 403 when `scope` is not granted."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if token and token in config.expired_tokens:
        return expired_authentication(_EXPIRED_AT, datetime.now(UTC))
    if token != config.access_token:
        return invalid_authentication()
    if scope not in config.scopes:
        return missing_scopes([scope])
    return None


def _api_endpoint(
    ctx: SandboxContext, handler: Handler, label: str, scope: str
) -> Callable[..., Awaitable[Response]]:
    """Wrap a handler with auth, rate limiting, error rendering and HubSpot headers."""
    is_search = handler is search.search_contacts

    async def endpoint(request: Request) -> Response:
        access_error = _access_error(request, ctx.config, scope)
        if access_error is not None:
            return error_response(access_error)
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
        for method, path, handler, scope in table:
            label = f"{method} {prefixes[0].rsplit('/', 1)[-1]}{path}"
            endpoint = _api_endpoint(ctx, handler, label, scope)
            routes += [Route(prefix + path, endpoint, methods=[method]) for prefix in prefixes]
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get a HubSpot-shaped body too."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    category = {404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR"}.get(status, "INTERNAL_ERROR")
    message = f"No route for {request.method} {request.url.path}"
    return error_response(HubSpotError(status, category, message))


def create_app(
    store: HubSpotStore, config: HubSpotSandboxConfig | None = None, faults: FaultPlan | None = None
) -> Starlette:
    """The sandbox HubSpot app over `store`, wrapped in fault injection.

    Args:
        store: the portal's data; `/_sandbox/reset` returns it to its state at this call.
        config: tokens, limits, search lag and clock (defaults: `HubSpotSandboxConfig()`).
        faults: the live fault plan (default: no faults until `PUT /_sandbox/faults`).

    Returns:
        A Starlette app serving `/crm/v3/...`, `/crm/.../2026-03/...` and `/_sandbox/...`;
        `app.state.sandbox` is the `SandboxContext` behind it.
    """
    config = config or HubSpotSandboxConfig()
    plan = faults or FaultPlan()
    ctx = SandboxContext(store, config, RateLimiter(config), store.checkpoint(), plan)
    routes = [*api_routes(ctx), *token_info_routes(ctx), *sandbox_routes(ctx)]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.sandbox = ctx
    # Injected faults never reach the app, so they are not counted as served requests.
    app.add_middleware(
        FaultInjectionMiddleware, plan=plan, error_body=injected_fault_body, sleep=config.sleep
    )
    return app
