"""Shopify's global ids (`gid://shopify/Order/123`): built from and split into REST ids.

Its own module because the seed, the resolvers and the bulk exports all need it and none of them should
import another for it.
"""

from __future__ import annotations


def gid(kind: str, legacy_id: int | str) -> str:
    """Shopify's global id, e.g. `gid://shopify/Order/123`."""
    return f"gid://shopify/{kind}/{legacy_id}"


def parse_gid(value: str) -> tuple[str, int] | None:
    """Split a gid into (type, numeric id); None if it is not a Shopify gid."""
    prefix = "gid://shopify/"
    if not value.startswith(prefix):
        return None
    kind, _, rest = value[len(prefix) :].partition("/")
    number = rest.split("?", 1)[0]
    return (kind, int(number)) if kind and number.isdigit() else None


def gid_number(value: str) -> int:
    """The numeric part of a gid this sandbox issued."""
    parsed = parse_gid(value)
    if parsed is None:
        raise ValueError(f"not a Shopify gid: {value}")
    return parsed[1]
