"""Batch routes: read, update, create and upsert, at most 100 inputs each.

Without per-input `objectWriteTraceId`s (create) or a unique idProperty
(upsert), one bad input fails the whole batch and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.hubspot.contacts import check_id_property, resolve
from sandbox.hubspot.errors import HubSpotError, validation_error
from sandbox.hubspot.records import Contact
from sandbox.hubspot.store import HubSpotStore, Values
from sandbox.hubspot.values import iso_millis
from sandbox.hubspot.wire import (
    SandboxContext,
    contact_json,
    json_body,
    properties_of,
    with_history,
    written_contact_json,
)

MAX_INPUTS = 100
NOT_FOUND_MESSAGE = (
    "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."
)


async def _inputs(request: Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = await json_body(request)
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise validation_error("`inputs` must be a list of objects")
    if len(inputs) > MAX_INPUTS:
        message = f"Batch input is limited to {MAX_INPUTS} inputs, got {len(inputs)}"
        raise validation_error(message)
    return body, inputs


def _unique_ids(ids: list[str]) -> None:
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise validation_error(f"Duplicate IDs found in batch input: {duplicates}")


def _claims(values: Values, store: HubSpotStore) -> set[tuple[str, str]]:
    """Email and unique values a write takes; two inputs of one batch may not share one."""
    claims = {("email", (values.get("email") or "").lower())}
    claims |= {(name, values.get(name) or "") for name in store.schema.unique_names()}
    return {(name, value) for name, value in claims if value}


def _respond(
    ctx: SandboxContext,
    started: datetime,
    results: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    ok: int,
) -> Response:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = iso_millis(started)
    body["completedAt"] = iso_millis(ctx.store.now())
    return JSONResponse(body, 207 if errors else ok)


async def batch_read(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/batch/read: 200, or 207 listing ids that resolve to nothing."""
    started = ctx.store.now()
    body, inputs = await _inputs(request)
    id_property = body.get("idProperty")
    check_id_property(ctx.store, id_property)
    ids = [str(i.get("id", "")) for i in inputs]
    _unique_ids(ids)
    names = body.get("properties") or None
    found: dict[str, Contact] = {}
    missing: list[str] = []
    for key in ids:
        contact = resolve(ctx.store, key, id_property)
        if contact is None:
            missing.append(key)
        else:
            found.setdefault(contact.id, contact)
    history = body.get("propertiesWithHistory") or None
    results = [
        with_history(contact_json(c, ctx.store.schema, names), ctx.store, c, history) for c in found.values()
    ]
    errors = _not_found(missing)
    return _respond(ctx, started, results, errors, 200)


def _not_found(missing: list[str]) -> list[dict[str, Any]]:
    """The 207 error entry HubSpot lists for ids that resolve to nothing."""
    if not missing:
        return []
    error = HubSpotError(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, context={"ids": missing})
    return [error.batch_item()]


def _check_batch_update_id_property(ctx: SandboxContext, id_property: object) -> None:
    if id_property == "email":
        # Observed on the real API (hubspot-api-nodejs#548): update takes record ids only.
        raise validation_error("Unable to update by email: it is a non-unique 0-1 property")
    check_id_property(ctx.store, None if id_property is None else str(id_property))


async def batch_update(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/batch/update: all-or-nothing on bad values; unknown ids reported (207)."""
    started = ctx.store.now()
    body, inputs = await _inputs(request)
    _unique_ids([str(i.get("id", "")) for i in inputs])
    planned: list[tuple[Contact, Values]] = []
    claimed: set[tuple[str, str]] = set()
    missing: list[str] = []
    for item in inputs:
        id_property = item.get("idProperty", body.get("idProperty"))
        _check_batch_update_id_property(ctx, id_property)
        key = str(item.get("id", ""))
        contact = resolve(ctx.store, key, None if id_property is None else str(id_property))
        if contact is None:
            # Non-numeric ids (e.g. emails without idProperty) are silently ignored, as observed.
            if key.isdigit() or id_property is not None:
                missing.append(key)
            continue
        planned.append(_plan_update(ctx, contact, properties_of(item), claimed))
    results = [written_contact_json(ctx.store.apply_update(c, v)) for c, v in planned]
    errors = _not_found(missing)
    return _respond(ctx, started, results, errors, 200)


def _plan_update(
    ctx: SandboxContext, contact: Contact, properties: dict[str, object], claimed: set[tuple[str, str]]
) -> tuple[Contact, Values]:
    planned = ctx.store.prepare_update(
        contact.id, properties, unique_only_at_create=ctx.config.unique_value_only_at_create
    )
    _claim(_claims(planned[1], ctx.store), claimed)
    return planned


def _claim(wanted: set[tuple[str, str]], claimed: set[tuple[str, str]]) -> None:
    overlap = sorted(wanted & claimed)
    if overlap:
        name, value = overlap[0]
        raise validation_error(f"Duplicate value {value} for {name} in batch input", propertyName=[name])
    claimed |= wanted


def _trace_ids(inputs: list[dict[str, Any]]) -> list[str] | None:
    """Per-input trace ids when every input has a distinct one (multi-status mode)."""
    traces = [i.get("objectWriteTraceId") for i in inputs]
    if inputs and all(isinstance(t, str) and t for t in traces) and len(set(traces)) == len(traces):
        return [str(t) for t in traces]
    return None


def _each_or_all(
    inputs: list[dict[str, Any]],
    partial: bool,
    plan: Callable[[dict[str, Any], set[tuple[str, str]]], Callable[[], dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run `plan` over inputs: all checked before any write, or (partial) one by one."""
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    claimed: set[tuple[str, str]] = set()
    if not partial:
        writes = [plan(item, claimed) for item in inputs]
        return [write() for write in writes], errors
    for item in inputs:
        try:
            results.append(plan(item, set())())
        except HubSpotError as error:
            trace = item.get("objectWriteTraceId")
            errors.append(error.batch_item(None if trace is None else str(trace)))
    return results, errors


async def batch_create(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/batch/create: 201; 409/400 fails all unless every input has a trace id (207)."""
    started = ctx.store.now()
    _, inputs = await _inputs(request)
    store = ctx.store

    def plan(item: dict[str, Any], claimed: set[tuple[str, str]]) -> Callable[[], dict[str, Any]]:
        values = store.prepare_create(properties_of(item))
        _claim(_claims(values, store), claimed)
        return lambda: written_contact_json(store.apply_create(values))

    results, errors = _each_or_all(inputs, _trace_ids(inputs) is not None, plan)
    return _respond(ctx, started, results, errors, 201)


async def batch_upsert(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/batch/upsert by email (all-or-nothing) or a unique property (partial)."""
    started = ctx.store.now()
    _, inputs = await _inputs(request)
    store = ctx.store
    id_properties = {str(i.get("idProperty", "")) for i in inputs}
    for id_property in id_properties:
        if id_property in ("", "hs_object_id"):
            raise validation_error("Upsert needs an idProperty (email or a unique property)")
        check_id_property(store, id_property)
    _unique_ids([f"{i.get('idProperty')}:{i.get('id', '')}" for i in inputs])

    def plan(item: dict[str, Any], claimed: set[tuple[str, str]]) -> Callable[[], dict[str, Any]]:
        id_property, key = str(item["idProperty"]), str(item.get("id", ""))
        properties = properties_of(item)
        existing = store.find_by(id_property, key)
        if existing is None:
            values = store.prepare_create({**properties, id_property: key})
            _claim(_claims(values, store), claimed)
            return lambda: {**written_contact_json(store.apply_create(values)), "new": True}
        contact, changes = _plan_update(ctx, existing, properties, claimed)
        return lambda: {**written_contact_json(store.apply_update(contact, changes)), "new": False}

    # "Partial upserts are not supported" with email (api-facts B3).
    results, errors = _each_or_all(inputs, "email" not in id_properties, plan)
    return _respond(ctx, started, results, errors, 200)
