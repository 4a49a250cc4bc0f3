"""Property and property-group routes for contacts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.hubspot.errors import HubSpotError
from sandbox.hubspot.schema import PropertyDef
from sandbox.hubspot.wire import SandboxContext, json_body, query_flag


def _property_or_404(request: Request, ctx: SandboxContext) -> PropertyDef:
    name = request.path_params["property_name"]
    prop = ctx.store.schema.get(name)
    if prop is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Property {name} does not exist")
    return prop


async def list_properties(request: Request, ctx: SandboxContext) -> Response:
    """GET /properties/contacts: every definition (the sandbox archives none)."""
    if query_flag(request, "archived"):
        return JSONResponse({"results": []})
    props = ctx.store.schema.properties.values()
    return JSONResponse({"results": [p.to_json() for p in props]})


async def create_property(request: Request, ctx: SandboxContext) -> Response:
    """POST /properties/contacts: 201; 409 OBJECT_ALREADY_EXISTS; at most 10 unique ones."""
    body = await json_body(request)
    prop = ctx.store.schema.create_property(body, ctx.store.now())
    return JSONResponse(prop.to_json(), 201)


async def get_property(request: Request, ctx: SandboxContext) -> Response:
    """GET /properties/contacts/{name}: the definition or 404."""
    return JSONResponse(_property_or_404(request, ctx).to_json())


async def update_property(request: Request, ctx: SandboxContext) -> Response:
    """PATCH /properties/contacts/{name}: label, options, group...; not hasUniqueValue."""
    prop = _property_or_404(request, ctx)
    body = await json_body(request)
    updated = ctx.store.schema.update_property(prop.name, body, ctx.store.now())
    return JSONResponse(updated.to_json())


async def list_groups(request: Request, ctx: SandboxContext) -> Response:
    """GET /properties/contacts/groups."""
    return JSONResponse({"results": list(ctx.store.schema.groups.values())})


async def create_group(request: Request, ctx: SandboxContext) -> Response:
    """POST /properties/contacts/groups: 201, or 409 OBJECT_ALREADY_EXISTS."""
    group = ctx.store.schema.create_group(await json_body(request))
    return JSONResponse(group, 201)


async def get_group(request: Request, ctx: SandboxContext) -> Response:
    """GET /properties/contacts/groups/{name}: the group or 404."""
    name = request.path_params["group_name"]
    group = ctx.store.schema.groups.get(name)
    if group is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Property group {name} does not exist")
    return JSONResponse(group)
