"""Readers for single values in Shopify payloads, each raising `InvalidOrderPayload` that names the field.

Shopify sends the same facts in two dialects (REST-shaped webhooks, GraphQL nodes); these readers hold the
rules both share: money is a decimal string, ids are int64 (never through a float), times carry an offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tasks.errors import InvalidOrderPayload

_GID_PREFIX = "gid://shopify/"
_INT64_MAX = 2**63 - 1


def dig(payload: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted `path`, or None when any step is missing or null."""
    value: Any = payload
    for key in _keys.get(path) or _split(path):
        if not is_mapping(value):
            return None
        value = value.get(key)
    return value


def is_mapping(value: object) -> bool:
    """`isinstance(value, Mapping)`, answering for a plain dict without the ABC check.

    A bulk export reads about thirty fields per order; the ABC check was a tenth of its parse time.
    """
    return type(value) is dict or isinstance(value, Mapping)


# Dotted paths are a few dozen constants; splitting each once keeps `dig` at dictionary lookups.
_keys: dict[str, list[str]] = {}


def _split(path: str) -> list[str]:
    keys = _keys[path] = path.split(".")
    return keys


def require(payload: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted `path`; a missing or null value is an `InvalidOrderPayload` naming the path."""
    value = dig(payload, path)
    if value is None:
        raise InvalidOrderPayload(f"missing {path}", field=path)
    return value


def int_id(value: object, field: str) -> int:
    """An int64 id from a JSON integer or a digit string (GraphQL `UnsignedInt64`), never from a float."""
    # bool is an int subclass, and a float id has already lost digits above 2**53: both are rejected.
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidOrderPayload(
            f"{field} must be an integer id, got {type(value).__name__} {value!r}", field=field
        )
    if isinstance(value, int):
        parsed = value
    elif isinstance(value, str) and value.strip().isdigit():
        parsed = int(value.strip())
    else:
        raise InvalidOrderPayload(f"{field} must be an integer id, got {value!r}", field=field)
    if not 0 < parsed <= _INT64_MAX:
        raise InvalidOrderPayload(f"{field} is out of the int64 id range: {parsed}", field=field)
    return parsed


def gid_id(gid: object, field: str, resource: str) -> int:
    """The numeric id inside `gid://shopify/<resource>/<id>`, checking the resource type."""
    prefix = f"{_GID_PREFIX}{resource}/"
    if not isinstance(gid, str) or not gid.startswith(prefix):
        raise InvalidOrderPayload(f"{field} must be a {prefix}<id> global id, got {gid!r}", field=field)
    # Some gids carry a query string (e.g. "?variant=..."); the id ends before it.
    return int_id(gid[len(prefix) :].split("?", 1)[0], field)


def gid_for(resource: str, legacy_id: int) -> str:
    """The global id Shopify's GraphQL API uses for a REST id."""
    return f"{_GID_PREFIX}{resource}/{legacy_id}"


def money(value: object, field: str) -> Decimal:
    """A Decimal from Shopify's decimal string; a stray JSON number goes through `str`, so no float noise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise InvalidOrderPayload(f"{field} must be a decimal string, got {value!r}", field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidOrderPayload(f"{field} is not a decimal number: {value!r}", field=field) from None
    if not amount.is_finite():
        raise InvalidOrderPayload(f"{field} is not a finite amount: {value!r}", field=field)
    return amount


def timestamp(value: object, field: str) -> datetime:
    """An aware datetime from ISO 8601; a timestamp without an offset is ambiguous and rejected."""
    if not isinstance(value, str):
        raise InvalidOrderPayload(f"{field} must be an ISO 8601 timestamp string, got {value!r}", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidOrderPayload(f"{field} is not an ISO 8601 timestamp: {value!r}", field=field) from None
    if parsed.utcoffset() is None:
        raise InvalidOrderPayload(f"{field} has no UTC offset: {value!r}", field=field)
    return parsed


def optional_timestamp(value: object, field: str) -> datetime | None:
    """Like `timestamp`, but null stays None (e.g. `cancelled_at` of an open order)."""
    return None if value is None else timestamp(value, field)


def tags(value: object, field: str) -> tuple[str, ...]:
    """Tags from a REST comma string or a GraphQL list: stripped, lowercased, blanks and repeats dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts: Iterable[object] = value.split(",")
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise InvalidOrderPayload(
            f"{field} must be a comma-separated string or a list, got {value!r}", field=field
        )
    cleaned: dict[str, None] = {}
    for part in parts:
        if not isinstance(part, str):
            raise InvalidOrderPayload(f"{field} must contain strings, got {part!r}", field=field)
        if tag := part.strip().lower():
            cleaned[tag] = None
    return tuple(cleaned)


def email(*candidates: object) -> str | None:
    """The first non-blank email among `candidates`, stripped and lowercased; None when there is none."""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip().lower()
    return None


def optional_text(value: object, field: str) -> str | None:
    """A string field that may be null; anything but a string or null is rejected."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidOrderPayload(f"{field} must be a string or null, got {value!r}", field=field)


def flag(value: object, field: str, *, default: bool) -> bool:
    """A JSON boolean; a missing value takes `default`."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise InvalidOrderPayload(f"{field} must be true or false, got {value!r}", field=field)
