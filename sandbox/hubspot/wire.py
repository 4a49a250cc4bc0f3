"""Request parsing and response shapes shared by the route modules."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sandbox.faults import FaultPlan
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.errors import validation_error
from sandbox.hubspot.ratelimit import RateLimiter
from sandbox.hubspot.schema import PropertySchema
from sandbox.hubspot.store import Contact, HubSpotStore
from sandbox.hubspot.values import iso_millis

DEFAULT_PROPERTIES = ("email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id")
# HubSpot adds these to every read, whatever was asked for.
ALWAYS_RETURNED = ("createdate", "lastmodifieddate", "hs_object_id")


@dataclass
class SandboxContext:
    """Everything a route handler needs."""

    store: HubSpotStore
    config: HubSpotSandboxConfig
    limiter: RateLimiter
    initial_state: dict[str, Any]
    faults: FaultPlan


def query_properties(request: Request, name: str = "properties") -> list[str] | None:
    """`properties=a,b` or repeated `properties=a&properties=b`; None when absent."""
    raw = request.query_params.getlist(name)
    return split_names(raw) if raw else None


def with_history(
    record: dict[str, Any], store: HubSpotStore, contact: Contact, names: Sequence[str] | None
) -> dict[str, Any]:
    """`record` plus `propertiesWithHistory` for the defined properties among `names` (when asked)."""
    if names:
        defined = [name for name in names if store.schema.get(name) is not None]
        record["propertiesWithHistory"] = store.history.of(contact.id, defined)
    return record


def split_names(raw: Sequence[str]) -> list[str]:
    """Property names from comma-separated chunks, blanks dropped."""
    return [name.strip() for chunk in raw for name in chunk.split(",") if name.strip()]


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    """An integer query parameter between 1 and `maximum`; 400 otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    return bounded_int(raw, name, maximum)


def bounded_int(raw: object, name: str, maximum: int) -> int:
    """`raw` as an int in 1..maximum, else a 400 naming the field."""
    try:
        value = int(str(raw))
    except ValueError:
        raise validation_error(f"{name} must be an integer", **{name: [str(raw)]}) from None
    if not 1 <= value <= maximum:
        raise validation_error(f"{name} must be between 1 and {maximum}", **{name: [str(raw)]})
    return value


def query_flag(request: Request, name: str) -> bool:
    """A `true`/`false` query parameter (default false)."""
    return request.query_params.get(name, "false").lower() == "true"


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 when it is not one."""
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as ex:
        raise validation_error(f"Invalid input JSON on line {ex.lineno}") from None
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected an object")
    return body


def properties_of(body: dict[str, Any], field: str = "properties") -> dict[str, object]:
    """The `properties` object of an input; 400 when it is not an object."""
    properties = body.get(field, {})
    if not isinstance(properties, dict):
        raise validation_error(f"`{field}` must be an object")
    return properties


def contact_json(
    contact: Contact, schema: PropertySchema, names: Sequence[str] | None = None
) -> dict[str, Any]:
    """A contact as the API returns it.

    Args:
        contact: the record (or its search snapshot).
        schema: decides which names exist: undefined ones are omitted, empty ones null.
        names: requested properties; None means the default set.
    """
    wanted = DEFAULT_PROPERTIES if names is None else (*names, *ALWAYS_RETURNED)
    properties = {
        name: contact.properties.get(name) for name in sorted(set(wanted)) if schema.get(name) is not None
    }
    return _record(contact, properties)


def written_contact_json(contact: Contact) -> dict[str, Any]:
    """A contact as create/update/merge return it: every value that is set."""
    properties = {k: v for k, v in sorted(contact.properties.items()) if v is not None}
    return _record(contact, properties)


def _record(contact: Contact, properties: Mapping[str, str | None]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": contact.id, "properties": properties}
    record["createdAt"] = iso_millis(contact.created_at)
    record["updatedAt"] = iso_millis(contact.updated_at)
    record["archived"] = contact.archived
    return record
