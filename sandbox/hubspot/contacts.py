"""Contact routes: list, read, create, update, archive, merge."""

from __future__ import annotations

import bisect

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.hubspot.errors import object_not_found, validation_error
from sandbox.hubspot.store import Contact, HubSpotStore
from sandbox.hubspot.wire import (
    SandboxContext,
    contact_json,
    json_body,
    properties_of,
    query_flag,
    query_int,
    query_properties,
    with_history,
    written_contact_json,
)

MAX_PAGE = 100


def check_id_property(store: HubSpotStore, id_property: str | None) -> None:
    """400 unless `id_property` is a record id, `email` or a unique property."""
    if id_property in (None, "", "hs_object_id", "email"):
        return
    if id_property not in store.schema.unique_names():
        message = f"Property {id_property} is not a unique 0-1 property and cannot be used as idProperty"
        raise validation_error(message, idProperty=[str(id_property)])


def resolve(store: HubSpotStore, key: str, id_property: str | None) -> Contact | None:
    """The live contact identified by `key` (a record id unless `id_property` says otherwise)."""
    check_id_property(store, id_property)
    if id_property in (None, "", "hs_object_id"):
        return store.get(key)
    return store.find_by(str(id_property), key)


def _resolve_or_404(request: Request, store: HubSpotStore) -> Contact:
    key = request.path_params["contact_id"]
    contact = resolve(store, key, request.query_params.get("idProperty"))
    if contact is None:
        raise object_not_found(key)
    return contact


def _next_link(request: Request, ctx: SandboxContext, after: str, limit: int) -> str:
    base = ctx.config.base_url or str(request.base_url).rstrip("/")
    query = [("limit", str(limit)), ("after", after)]
    for field in ("properties", "propertiesWithHistory"):
        query += [(field, name) for name in request.query_params.getlist(field)]
    return f"{base}{request.url.path}?" + "&".join(f"{k}={v}" for k, v in query)


async def list_contacts(request: Request, ctx: SandboxContext) -> Response:
    """GET /contacts: id-ordered pages of at most 100; `after` is the next id."""
    limit = query_int(request, "limit", 10, MAX_PAGE)
    after_raw = request.query_params.get("after", "0")
    if not after_raw.isdigit():
        raise validation_error("after must be a numeric cursor", after=[after_raw])
    archived = query_flag(request, "archived")
    pool = ctx.store.archived_contacts() if archived else ctx.store.contacts()
    start = bisect.bisect_left(pool, int(after_raw), key=lambda c: int(c.id))
    # Slice the page only: copying the rest of the portal for every page made a full listing quadratic.
    page = pool[start : start + limit]
    names, history = query_properties(request), query_properties(request, "propertiesWithHistory")
    results = [with_history(contact_json(c, ctx.store.schema, names), ctx.store, c, history) for c in page]
    body: dict[str, object] = {"results": results}
    if len(pool) - start > limit:
        after = str(int(page[-1].id) + 1)
        body["paging"] = {"next": {"after": after, "link": _next_link(request, ctx, after, limit)}}
    return JSONResponse(body)


async def get_contact(request: Request, ctx: SandboxContext) -> Response:
    """GET /contacts/{id}: by id (merged ids resolve), email or a unique property."""
    contact = _resolve_or_404(request, ctx.store)
    record = contact_json(contact, ctx.store.schema, query_properties(request))
    history = query_properties(request, "propertiesWithHistory")
    return JSONResponse(with_history(record, ctx.store, contact, history))


async def create_contact(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts: 201, or 409 "Contact already exists. Existing ID: N"."""
    body = await json_body(request)
    contact = ctx.store.create_contact(properties_of(body))
    return JSONResponse(written_contact_json(contact), 201)


async def update_contact(request: Request, ctx: SandboxContext) -> Response:
    """PATCH /contacts/{id}: `""` clears; unique values are write-once."""
    contact = _resolve_or_404(request, ctx.store)
    body = await json_body(request)
    updated = ctx.store.update_contact(
        contact.id,
        properties_of(body),
        unique_only_at_create=ctx.config.unique_value_only_at_create,
    )
    return JSONResponse(written_contact_json(updated))


async def archive_contact(request: Request, ctx: SandboxContext) -> Response:
    """DELETE /contacts/{id}: archive; 204."""
    contact = _resolve_or_404(request, ctx.store)
    ctx.store.archive(contact.id)
    return Response(status_code=204)


async def merge_contacts(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/merge: the merged record, with a new id."""
    body = await json_body(request)
    primary, absorbed = body.get("primaryObjectId"), body.get("objectIdToMerge")
    if not primary or not absorbed:
        raise validation_error("primaryObjectId and objectIdToMerge are required")
    merged = ctx.store.merge(str(primary), str(absorbed))
    return JSONResponse(written_contact_json(merged))
