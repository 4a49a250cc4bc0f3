"""`/_sandbox/*`: state for tests and benchmarks, reset, simulated UI edits, fault plan.

These routes need no token, are never rate limited and never get faults.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import faults_routes
from sandbox.hubspot.errors import HubSpotError, PropertyIssue, PropertyValuesInvalid, error_response
from sandbox.hubspot.records import Contact
from sandbox.hubspot.values import iso_millis
from sandbox.hubspot.wire import SandboxContext, json_body, properties_of


def _contact_state(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "properties": dict(sorted(contact.properties.items())),
        "createdAt": iso_millis(contact.created_at),
        "updatedAt": iso_millis(contact.updated_at),
        "archived": contact.archived,
        "mergedIds": list(contact.merged_ids),
    }


def state(ctx: SandboxContext) -> dict[str, Any]:
    """The whole portal: contacts (archived too), merges, properties, groups, counters."""
    store = ctx.store
    return {
        "contacts": [_contact_state(c) for c in store.contacts()],
        "archivedContacts": [_contact_state(c) for c in store.archived_contacts()],
        "redirects": store.redirects(),
        "properties": [p.to_json() for p in store.schema.properties.values()],
        "groups": list(store.schema.groups.values()),
        "counters": ctx.limiter.counters(),
        "searchIndexLagSeconds": ctx.config.search_index_lag_seconds,
    }


def _ui_edit(ctx: SandboxContext, contact_id: str, properties: dict[str, object]) -> Contact:
    """Edit a contact as a person in the HubSpot UI would: unique values may change."""
    read_only = [
        name
        for name in properties
        if (prop := ctx.store.schema.get(name)) is not None and prop.read_only_value
    ]
    if read_only:
        message = f"Property {read_only[0]} is read only"
        raise PropertyValuesInvalid.of([PropertyIssue(read_only[0], "READ_ONLY_VALUE", message)])
    return ctx.store.update_contact(contact_id, properties, api_write=False)


def sandbox_routes(ctx: SandboxContext) -> list[BaseRoute]:
    """The `/_sandbox` routes over `ctx`."""

    async def get_state(request: Request) -> Response:
        return JSONResponse(state(ctx))

    async def get_counters(request: Request) -> Response:
        return JSONResponse(ctx.limiter.counters())

    async def reset(request: Request) -> Response:
        ctx.store.restore(ctx.initial_state)
        ctx.limiter.reset()
        ctx.faults.reset()
        return JSONResponse({"status": "reset"})

    async def edit_contact(request: Request) -> Response:
        try:
            body = await json_body(request)
            contact = _ui_edit(ctx, request.path_params["contact_id"], properties_of(body))
        except HubSpotError as error:
            return error_response(error)
        return JSONResponse(_contact_state(contact))

    return [
        Route("/_sandbox/state", get_state, methods=["GET"]),
        Route("/_sandbox/counters", get_counters, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/contacts/{contact_id}", edit_contact, methods=["PATCH"]),
        *faults_routes(ctx.faults),
    ]
