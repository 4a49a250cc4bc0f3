"""Shopify's rules for a bulk query, applied before the sandbox runs it: one query, 1-5 connections nested at
most two deep, and every parent of a nested connection selecting its plain `id` (how the JSONL's
`__parentId` is filled)."""

from __future__ import annotations

from typing import Any

from graphql import FragmentDefinitionNode, OperationDefinitionNode, OperationType, get_named_type

from sandbox.shopify.throttle import collect_fields, is_connection

MAX_CONNECTIONS = 5
MAX_NESTED_CONNECTIONS = 2


class BulkQueryInvalid(ValueError):
    """The bulk query breaks GraphQL validation or a bulk-operation rule."""


def single_query(definitions: Any) -> OperationDefinitionNode:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        raise BulkQueryInvalid("Bulk queries must contain exactly one query operation.")
    return operations[0]


def check_connections(
    operation: OperationDefinitionNode, root: Any, fragments: dict[str, FragmentDefinitionNode]
) -> None:
    """Apply Shopify's bulk rules: 1-5 connections, nested at most 2 deep, parents select id."""
    found: list[int] = []

    def walk(selection: Any, parent: Any, depth: int) -> None:
        for node in collect_fields(selection, fragments):
            field_def = getattr(parent, "fields", {}).get(node.name.value)
            if field_def is None:
                continue
            named = get_named_type(field_def.type)
            if is_connection(named):
                found.append(depth + 1)
                if depth and not _selects_plain_id(selection, fragments):
                    raise BulkQueryInvalid(
                        "The parent 'node' field for a nested connection must select the 'id' "
                        f"field without an alias. Connection field: '{node.name.value}'."
                    )
                walk(node.selection_set, named, depth + 1)
            else:
                walk(node.selection_set, named, depth)

    walk(operation.selection_set, root, 0)
    if not found:
        raise BulkQueryInvalid("Bulk queries must contain at least one connection.")
    if len(found) > MAX_CONNECTIONS:
        raise BulkQueryInvalid(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if max(found) > MAX_NESTED_CONNECTIONS:
        raise BulkQueryInvalid(
            f"Bulk queries cannot contain connections with a nesting depth greater than "
            f"{MAX_NESTED_CONNECTIONS}."
        )


def _selects_plain_id(selection: Any, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    return any(f.name.value == "id" and f.alias is None for f in collect_fields(selection, fragments))
