"""Bulk query operations: run a query over the whole store and serve the result as JSONL."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    execute_sync,
    get_named_type,
    parse,
    validate,
)

from sandbox.shopify.bulk_rules import BulkQueryInvalid, check_connections, single_query
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.ids import gid
from sandbox.shopify.throttle import collect_fields, is_connection, response_key

FINISHED = ("COMPLETED", "CANCELED", "FAILED", "EXPIRED")


@dataclass
class BulkOperation:
    """One bulk query and its (precomputed) JSONL output: `lines`, or a prebuilt `file` of them."""

    id: int
    query: str
    started: float
    created_at: datetime
    lines: list[str]
    root_object_count: int
    canceled: bool = False
    file: Path | None = None
    file_object_count: int = 0


@dataclass
class _Layout:
    fragments: dict[str, FragmentDefinitionNode]
    group_objects: bool


class BulkOperations:
    """All bulk operations of the app; status advances with the configured clock."""

    def __init__(self, config: ShopifySandboxConfig) -> None:
        self._config = config
        self.reset()

    def reset(self) -> None:
        """Forget every operation."""
        self._operations: dict[int, BulkOperation] = {}
        self._ids = itertools.count(4_039_184_154_813)

    def status(self, operation: BulkOperation) -> str:
        """CREATED, then RUNNING, then COMPLETED (or CANCELED) as configured time passes."""
        if operation.canceled:
            return "CANCELED"
        elapsed = self._config.clock() - operation.started
        if elapsed < self._config.bulk_created_seconds:
            return "CREATED"
        return "RUNNING" if elapsed < self._config.bulk_duration_seconds else "COMPLETED"

    def running(self) -> list[BulkOperation]:
        """Operations not finished yet."""
        return [op for op in self._operations.values() if self.status(op) not in FINISHED]

    def get(self, operation_id: int) -> BulkOperation | None:
        """The operation with this numeric id, or None."""
        return self._operations.get(operation_id)

    def all(self) -> list[BulkOperation]:
        """Every operation, oldest first."""
        return list(self._operations.values())

    def start(
        self, schema: GraphQLSchema, query: str, group_objects: bool, bulk_context: object
    ) -> BulkOperation:
        """Validate and run `query` over the store now; the result is released on completion.

        `bulk_context` is the resolvers' context with the page-size rules lifted; taking it opaque keeps
        this module free of the resolvers, which call it.

        Raises:
            BulkQueryInvalid: The query is not a valid bulk query.
        """
        document = parse(query)
        errors = validate(schema, document)
        if errors:
            raise BulkQueryInvalid(errors[0].message)
        operation = single_query(document.definitions)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        root = schema.query_type
        check_connections(operation, root, fragments)
        if self._config.bulk_result_file is not None:
            return self._register(_prebuilt(query, self._config.bulk_result_file, self._config))
        result = execute_sync(schema, document, context_value=bulk_context)
        if result.errors:
            raise BulkQueryInvalid(result.errors[0].message)
        rows = _rows(operation, root, result.data or {}, _Layout(fragments, group_objects))
        return self._register(
            BulkOperation(
                id=0,
                query=query,
                started=self._config.clock(),
                created_at=self._config.now(),
                lines=[_jsonl_line(row) for _, row in rows],
                root_object_count=sum(1 for depth, _ in rows if depth == 0),
            )
        )

    def _register(self, operation: BulkOperation) -> BulkOperation:
        operation.id = next(self._ids)
        self._operations[operation.id] = operation
        return operation

    def cancel(self, operation: BulkOperation) -> None:
        """Stop an unfinished operation."""
        operation.canceled = True

    def jsonl(self, operation: BulkOperation) -> bytes | Path | None:
        """The downloadable file (its path when prebuilt), available once the operation completed."""
        if self.status(operation) != "COMPLETED":
            return None
        if operation.file is not None:
            return operation.file
        return "".join(line + "\n" for line in operation.lines).encode()

    def as_graphql(self, operation: BulkOperation, base_url: str) -> dict[str, Any]:
        """The operation as a GraphQL `BulkOperation` object."""
        status = self.status(operation)
        done = status == "COMPLETED"
        body = self.jsonl(operation)
        size = body.stat().st_size if isinstance(body, Path) else len(body or b"")
        objects = _object_count(operation) if done else self._progress(operation, status)
        return {
            "__typename": "BulkOperation",
            "id": gid("BulkOperation", operation.id),
            "type": "QUERY",
            "status": status,
            "errorCode": None,
            "query": operation.query,
            "createdAt": operation.created_at,
            "completedAt": self._completed_at(operation) if done else None,
            "objectCount": objects,
            "rootObjectCount": operation.root_object_count if done else 0,
            # Shopify returns no file at all when the query matched nothing.
            "fileSize": size or None,
            "url": f"{base_url}/_sandbox/bulk/{operation.id}.jsonl" if body else None,
            "partialDataUrl": None,
        }

    def _progress(self, operation: BulkOperation, status: str) -> int:
        if status != "RUNNING":
            return 0
        share = (self._config.clock() - operation.started) / self._config.bulk_duration_seconds
        return int(_object_count(operation) * min(share, 1.0))

    def _completed_at(self, operation: BulkOperation) -> datetime:
        return operation.created_at + timedelta(seconds=self._config.bulk_duration_seconds)


def _object_count(operation: BulkOperation) -> int:
    return operation.file_object_count if operation.file is not None else len(operation.lines)


def _prebuilt(query: str, path: Path, config: ShopifySandboxConfig) -> BulkOperation:
    """An operation whose result is `path` as it is (the query was validated, never executed)."""
    objects = roots = 0
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                objects += 1
                roots += b'"__parentId"' not in line
    return BulkOperation(
        id=0,
        query=query,
        started=config.clock(),
        created_at=config.now(),
        lines=[],
        root_object_count=roots,
        file=path,
        file_object_count=objects,
    )


def _rows(
    operation: OperationDefinitionNode, root: Any, data: dict[str, Any], layout: _Layout
) -> list[tuple[int, dict[str, Any]]]:
    """One row per object: roots and every item of a nested connection (with `__parentId`)."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for node in collect_fields(operation.selection_set, layout.fragments):
        named = get_named_type(root.fields[node.name.value].type)
        if is_connection(named):
            for item_node, item in _items(node, data.get(response_key(node)), layout):
                _emit(item_node, named.fields["nodes"].type, item, None, 0, rows, layout)
    if not layout.group_objects:
        # Without grouping, children are written after every parent, not next to theirs.
        rows.sort(key=lambda row: row[0])
    return rows


def _items(connection: FieldNode, value: Any, layout: _Layout) -> list[tuple[FieldNode, dict[str, Any]]]:
    """(selection, object) for every item an executed connection returned."""
    found: list[tuple[FieldNode, dict[str, Any]]] = []
    returned = value if isinstance(value, dict) else {}
    for child in collect_fields(connection.selection_set, layout.fragments):
        entries = returned.get(response_key(child)) or []
        if child.name.value == "nodes":
            found.extend((child, entry) for entry in entries if entry is not None)
        elif child.name.value == "edges":
            for node_field in collect_fields(child.selection_set, layout.fragments):
                if node_field.name.value == "node":
                    key = response_key(node_field)
                    found.extend((node_field, e[key]) for e in entries if e.get(key) is not None)
    return found


def _emit(
    selection: FieldNode,
    item_type: Any,
    item: dict[str, Any],
    parent_id: str | None,
    depth: int,
    rows: list[tuple[int, dict[str, Any]]],
    layout: _Layout,
) -> None:
    named = get_named_type(item_type)
    row: dict[str, Any] = {}
    children: list[tuple[FieldNode, Any, Any]] = []
    for node in collect_fields(selection.selection_set, layout.fragments):
        key = response_key(node)
        field_def = named.fields.get(node.name.value) if hasattr(named, "fields") else None
        child_type = get_named_type(field_def.type) if field_def else None
        if child_type is not None and is_connection(child_type):
            children.append((node, child_type, item.get(key)))
        elif key in item:
            row[key] = item[key]
    if parent_id is not None:
        row["__parentId"] = parent_id
    rows.append((depth, row))
    for node, child_type, value in children:
        for child_node, child in _items(node, value, layout):
            child_item_type = child_type.fields["nodes"].type
            _emit(child_node, child_item_type, child, item.get("id"), depth + 1, rows, layout)


def _jsonl_line(row: dict[str, Any]) -> str:
    """Compact JSON with `/` escaped as `\\/`, byte-for-byte like Shopify's bulk files."""
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")
