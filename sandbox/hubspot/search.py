"""POST /contacts/search: filters over an index that lags writes, 10k cap, one sort.

Unknown keys in the body are ignored, as HubSpot does, so a misspelled
`filterGroup` silently returns every contact.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.hubspot.errors import validation_error
from sandbox.hubspot.schema import PropertyDef, PropertySchema
from sandbox.hubspot.store import Contact
from sandbox.hubspot.values import epoch_millis
from sandbox.hubspot.wire import SandboxContext, bounded_int, contact_json, json_body

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, MAX_RESULTS = 200, 10_000
_TOKEN_SPLIT = re.compile(r"[^0-9a-z*]+")
Key = Decimal | int | str


def _key(prop: PropertyDef, raw: str) -> Key | None:
    """A comparable form of a value: numbers and dates typed, strings lowercased."""
    if prop.type == "number":
        try:
            return Decimal(raw)
        except InvalidOperation:
            return None
    if prop.type in ("date", "datetime"):
        return epoch_millis(raw)
    return raw.lower()


def _parts(prop: PropertyDef, stored: str) -> list[str]:
    """Multi-checkbox values (e.g. hs_additional_emails) match part by part."""
    return stored.split(";") if prop.field_type == "checkbox" else [stored]


def _compare(op: str, left: Key, right: Key) -> bool:
    try:
        checks: dict[str, Callable[[], bool]] = {
            "EQ": lambda: left == right,
            "GT": lambda: left > right,  # type: ignore[operator]
            "GTE": lambda: left >= right,  # type: ignore[operator]
            "LT": lambda: left < right,  # type: ignore[operator]
            "LTE": lambda: left <= right,  # type: ignore[operator]
        }
        return checks[op]()
    except TypeError:
        return False


def _contains_token(stored: str, wanted: str) -> bool:
    text, pattern = stored.lower(), wanted.lower()
    tokens = [t for t in _TOKEN_SPLIT.split(text) if t]
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in [text, *tokens])


def _part_matches(prop: PropertyDef, part: str, op: str, flt: dict[str, Any]) -> bool:
    if op in ("IN", "NOT_IN"):
        # IN compares against lowercased stored strings: uppercase values never match.
        wanted = [_key(prop, str(v)) if prop.type != "string" else str(v) for v in flt["values"]]
        return _key(prop, part) in wanted
    if op == "CONTAINS_TOKEN":
        return _contains_token(part, str(flt.get("value", "")))
    left, right = _key(prop, part), _key(prop, str(flt.get("value", "")))
    if left is None or right is None:
        return False
    if op == "BETWEEN":
        high = _key(prop, str(flt.get("highValue", "")))
        return high is not None and _compare("GTE", left, right) and _compare("LTE", left, high)
    return _compare("EQ" if op == "NEQ" else op, left, right)


def _filter_matches(contact: Contact, flt: dict[str, Any], schema: PropertySchema) -> bool:
    prop = schema.get(str(flt["propertyName"]))
    assert prop is not None  # checked by _parse_groups
    stored = contact.properties.get(prop.name)
    op = str(flt["operator"])
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return bool(stored) == (op == "HAS_PROPERTY")
    if not stored:
        return op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
    positive = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN"}.get(op, op)
    hit = any(_part_matches(prop, part, positive, flt) for part in _parts(prop, stored))
    return hit if positive == op else not hit


_OPERATORS = {
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip


def _parse_groups(body: dict[str, Any], schema: PropertySchema) -> list[list[dict[str, Any]]]:
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise validation_error(f"Too many filter groups (max {MAX_GROUPS})")
    filters = [group.get("filters") or [] for group in groups]
    if any(len(f) > MAX_FILTERS_PER_GROUP for f in filters):
        raise validation_error(f"Too many filters in a group (max {MAX_FILTERS_PER_GROUP})")
    if sum(len(f) for f in filters) > MAX_FILTERS:
        raise validation_error(f"Too many filters in the request (max {MAX_FILTERS})")
    for flt in (flt for group in filters for flt in group):
        name, op = flt.get("propertyName"), flt.get("operator")
        if op not in _OPERATORS:
            raise validation_error(f"Unknown filter operator {op}", operator=[str(op)])
        if schema.get(str(name)) is None:
            raise validation_error(f"Property {name} does not exist", propertyName=[str(name)])
        if op in ("IN", "NOT_IN") and not isinstance(flt.get("values"), list):
            raise validation_error(f"Operator {op} needs `values`", propertyName=[str(name)])
    return filters


def _sorted(contacts: list[Contact], sorts: list[Any], schema: PropertySchema) -> list[Contact]:
    if len(sorts) > 1:
        raise validation_error("Only one sort is supported")
    if not sorts:
        return contacts
    sort = sorts[0] if isinstance(sorts[0], dict) else {"propertyName": str(sorts[0])}
    prop = schema.get(str(sort.get("propertyName")))
    if prop is None:
        raise validation_error(f"Cannot sort on unknown property {sort.get('propertyName')}")
    keyed = [(_key(prop, c.properties.get(prop.name) or ""), c) for c in contacts]
    present = [(k, c) for k, c in keyed if k not in (None, "")]
    descending = sort.get("direction") == "DESCENDING"
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [c for _, c in present] + [c for k, c in keyed if k in (None, "")]


def _offset(body: dict[str, Any]) -> int:
    raw = str(body.get("after") or "0")
    if not raw.isdigit():
        raise validation_error("after must be a numeric offset", after=[raw])
    if int(raw) >= MAX_RESULTS:
        message = f"Search can page through at most {MAX_RESULTS} results; after={raw} is beyond"
        raise validation_error(message, after=[raw])
    return int(raw)


async def search_contacts(request: Request, ctx: SandboxContext) -> Response:
    """POST /contacts/search: `{total, results, paging}` from the lagging index."""
    body = await json_body(request)
    schema = ctx.store.schema
    groups = _parse_groups(body, schema)
    limit = bounded_int(body.get("limit", 10), "limit", MAX_LIMIT)
    after = _offset(body)
    names = body.get("properties") or None
    view = ctx.store.search_view(ctx.config.search_index_lag_seconds)
    matches = [
        c for c in view if not groups or any(all(_filter_matches(c, f, schema) for f in g) for g in groups)
    ]
    ordered = _sorted(matches, list(body.get("sorts") or []), schema)
    page = ordered[after : after + limit]
    result: dict[str, Any] = {"total": len(ordered)}
    result["results"] = [contact_json(c, schema, names) for c in page]
    if after + limit < len(ordered):
        result["paging"] = {"next": {"after": str(after + limit)}}
    return JSONResponse(result)
