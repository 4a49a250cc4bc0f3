"""Shopify's calculated query cost and the per-app leaky bucket that spends it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values

MUTATION_COST = 10  # Shopify charges every mutation a flat 10 points
CONNECTION_COST = 2
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


class LeakyBucket:
    """Cost points per app: spent on request, refunded to the actual cost, restored over time."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float]) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = maximum
        self._updated = clock()

    def available(self) -> float:
        """Points available right now."""
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._updated) * self.restore_rate)
        self._updated = now
        return self._available

    def try_spend(self, points: int) -> bool:
        """Take `points` if that many are available; False (nothing taken) otherwise."""
        if points > self.available():
            return False
        self._available -= points
        return True

    def refund(self, points: int) -> None:
        """Give back points a request reserved but did not use."""
        self._available = min(self.maximum, self.available() + points)

    def reset(self) -> None:
        """Fill the bucket."""
        self._available = self.maximum
        self._updated = self._clock()

    def status(self) -> dict[str, Any]:
        """The `throttleStatus` object Shopify puts in `extensions.cost`."""
        return {
            "maximumAvailable": float(self.maximum),
            "currentlyAvailable": math.floor(self.available()),
            "restoreRate": float(self.restore_rate),
        }


def cost_extension(bucket: LeakyBucket, requested: int, actual: int | None) -> dict[str, Any]:
    """The `extensions` member every cost-checked response carries."""
    cost = {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": bucket.status(),
    }
    return {"extensions": {"cost": cost}}


def throttled_error() -> dict[str, Any]:
    """The error Shopify returns when the bucket cannot pay for a query."""
    return {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
    }


def max_cost_error(cost: int, max_cost: int) -> dict[str, Any]:
    """The error Shopify returns when one query asks for more than the single-query limit."""
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
        "the\ncost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used "
        "instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
    )
    return {
        "message": message,
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": max_cost},
    }


@dataclass
class QueryCoster:
    """Walks one operation to price it before execution (requested) and after (actual)."""

    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues | None

    def requested(self, operation: OperationDefinitionNode, root: GraphQLObjectType) -> int:
        """Cost from the query alone: objects 1, connections 2 + size x item cost, scalars 0."""
        if operation.operation is OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(operation.selection_set))
        return self._selection_cost(operation.selection_set, root, None)

    def actual(self, operation: OperationDefinitionNode, root: GraphQLObjectType, data: Any) -> int:
        """Cost from what was returned: connections count the items they really hold."""
        if operation.operation is OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(operation.selection_set))
        return self._selection_cost(operation.selection_set, root, data or {})

    def _fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        return collect_fields(selection_set, self.fragments)

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, data: Any) -> int:
        """Cost of a selection; `data` is None when pricing before execution."""
        total = 0
        for node in self._fields(selection_set):
            field_def = getattr(parent, "fields", {}).get(node.name.value)
            if field_def is None or not is_composite_type(get_named_type(field_def.type)):
                continue
            if data is None:
                total += self._field_cost(node, field_def, None, executed=False)
            elif isinstance(data, dict) and data.get(response_key(node)) is not None:
                total += self._field_cost(node, field_def, data[response_key(node)], executed=True)
        return total

    def _field_cost(self, node: FieldNode, field_def: Any, value: Any, executed: bool) -> int:
        named = get_named_type(field_def.type)
        if is_connection(named):
            return self._connection_cost(node, field_def, value, executed)
        if executed:
            items = value if isinstance(value, list) else [value]
            return sum(
                1 + self._selection_cost(node.selection_set, named, item)
                for item in items
                if item is not None
            )
        # `nodes(ids:)` asks for one object per id; any other field for one object.
        count = len(get_argument_values(field_def, node, self.variables).get("ids") or ()) or 1
        return count * (1 + self._selection_cost(node.selection_set, named, None))

    def _connection_cost(self, node: FieldNode, field_def: Any, value: Any, executed: bool) -> int:
        item_type = get_named_type(get_named_type(field_def.type).fields["nodes"].type)
        args = get_argument_values(field_def, node, self.variables)
        size = int(args.get("first") or args.get("last") or 0)
        best = 0
        for selection, items in self._item_selections(node, value if executed else None):
            if executed:
                cost = sum(
                    1 + self._selection_cost(selection.selection_set, item_type, item)
                    for item in items
                    if item is not None
                )
            else:
                cost = size * (1 + self._selection_cost(selection.selection_set, item_type, None))
            best = max(best, cost)
        return CONNECTION_COST + best

    def _item_selections(self, connection: FieldNode, value: Any) -> list[tuple[FieldNode, list[Any]]]:
        """Each way the query reaches the items (`nodes`, `edges.node`) and the items returned."""
        found: list[tuple[FieldNode, list[Any]]] = []
        returned = value if isinstance(value, dict) else {}
        for child in self._fields(connection.selection_set):
            if child.name.value == "nodes":
                found.append((child, returned.get(response_key(child)) or []))
            elif child.name.value == "edges":
                edges = returned.get(response_key(child)) or []
                for node_field in self._fields(child.selection_set):
                    if node_field.name.value == "node":
                        key = response_key(node_field)
                        found.append((node_field, [edge.get(key) for edge in edges]))
        return found


def collect_fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """Fields of a selection with fragments inlined; type conditions are ignored, which for
    costs can only overestimate."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields.extend(collect_fields(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            fields.extend(collect_fields(fragment.selection_set if fragment else None, fragments))
    return fields


def response_key(node: FieldNode) -> str:
    """The key a field gets in the response: its alias, else its name."""
    return node.alias.value if node.alias else node.name.value


def is_connection(named_type: Any) -> bool:
    """Whether a type is a Relay connection (Shopify names them `...Connection`)."""
    fields = getattr(named_type, "fields", None)
    return bool(named_type.name.endswith("Connection") and fields and "pageInfo" in fields)
