"""Every operation the product uses runs on the sandbox and returns what the real schema promises."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from sandbox.shopify.schema import load_schema
from tests.sandbox.shopify_sandbox import Sandbox, make_sandbox, reference_text, small_shop

OPERATIONS = "admin-graphql-operations.graphql"
STRING_SCALARS = {"String", "ID", "URL", "DateTime", "Decimal", "UnsignedInt64", "Money", "HTML"}
BULK_QUERY = "{ orders { edges { node { id name lineItems { edges { node { id sku } } } } } } }"


def _operation_names() -> list[str]:
    document = parse(reference_text(OPERATIONS))
    return [d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode) and d.name]


def _check(value: Any, graphql_type: Any, selection: SelectionSetNode | None, path: str) -> None:
    """Assert `value` is what `graphql_type` allows, recursing into the selected fields."""
    if isinstance(graphql_type, GraphQLNonNull):
        assert value is not None, f"{path} is null but declared non-null"
        return _check(value, graphql_type.of_type, selection, path)
    if value is None:
        return None
    if isinstance(graphql_type, GraphQLList):
        assert isinstance(value, list), path
        for index, item in enumerate(value):
            _check(item, graphql_type.of_type, selection, f"{path}[{index}]")
    elif isinstance(graphql_type, GraphQLScalarType):
        _check_scalar(value, graphql_type.name, path)
    elif isinstance(graphql_type, GraphQLEnumType):
        assert value in graphql_type.values, f"{path}: {value!r} is not a {graphql_type.name}"
    else:
        assert isinstance(value, dict), path
        _check_selection(value, graphql_type, selection, path)
    return None


def _check_scalar(value: Any, name: str, path: str) -> None:
    expected: type | tuple[type, ...] = str
    if name == "Int":
        expected = int
    elif name == "Float":
        expected = (int, float)
    elif name == "Boolean":
        expected = bool
    elif name not in STRING_SCALARS:
        return
    assert isinstance(value, expected) and not (name == "Int" and isinstance(value, bool)), (
        f"{path}: {value!r} is not serialised as {name}"
    )


def _check_selection(
    value: dict[str, Any], parent: Any, selection: SelectionSetNode | None, path: str
) -> None:
    schema = load_schema()
    for node in selection.selections if selection else ():
        if isinstance(node, InlineFragmentNode):
            assert node.type_condition is not None
            fragment_type = schema.type_map[node.type_condition.name.value]
            fields = [f for f in node.selection_set.selections if isinstance(f, FieldNode)]
            # An inline fragment applies when the object came back with its fields.
            if all((f.alias or f.name).value in value for f in fields):
                _check_selection(value, fragment_type, node.selection_set, path)
        elif isinstance(node, FieldNode):
            key = (node.alias or node.name).value
            assert key in value, f"{path}.{key} missing"
            field = parent.fields[node.name.value]
            _check(value[key], field.type, node.selection_set, f"{path}.{key}")


@pytest.fixture(scope="module")
def sandbox():
    orders, customers, products = small_shop()
    box = make_sandbox(orders, customers, products)
    create = """mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_PAID,
        webhookSubscription: {uri: $uri, format: JSON}) { userErrors { message } } }"""
    assert box.data(create, {"uri": "https://example.com/webhooks"})["webhookSubscriptionCreate"] == {
        "userErrors": []
    }
    return box


def _variables(name: str, sandbox: Sandbox) -> dict[str, Any]:
    """Variables that make each operation return real objects."""
    store = sandbox.store
    if name in ("BulkOperationNode", "BulkOperationById"):
        return {"id": _bulk_id(sandbox)}
    by_name: dict[str, dict[str, Any]] = {
        "OrdersPage": {"first": 5, "query": "test:false"},
        "BulkOperationRunQuery": {"q": BULK_QUERY},
        "LatestBulkOperations": {"first": 5},
        "CustomersByIds": {"ids": [f"gid://shopify/Customer/{c['id']}" for c in store.customers()]},
        "ProductsByIds": {"ids": [f"gid://shopify/Product/{p['id']}" for p in store.products()]},
        "WebhookSubscriptions": {"first": 10},
    }
    return by_name.get(name, {})


def _bulk_id(sandbox: Sandbox) -> str:
    operations = sandbox.runtime.bulk.all()
    if not operations:
        sandbox.data(reference_text(OPERATIONS), {"q": BULK_QUERY}, operationName="BulkOperationRunQuery")
        operations = sandbox.runtime.bulk.all()
    sandbox.clock.advance(60)
    return f"gid://shopify/BulkOperation/{operations[-1].id}"


@pytest.mark.parametrize("name", _operation_names())
def test_operation_runs_and_matches_schema_types(sandbox, name: str) -> None:
    """Each reference operation runs without errors; every value has the schema's declared type."""
    variables = _variables(name, sandbox)
    data = sandbox.data(reference_text(OPERATIONS), variables, operationName=name)
    operation = next(
        d
        for d in parse(reference_text(OPERATIONS)).definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    )
    schema = load_schema()
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    _check_selection(data, root, operation.selection_set, name)
    assert any(value not in (None, []) for value in data.values()), f"{name} returned nothing"


def test_unsigned_int64_and_decimal_fields_are_json_strings(sandbox) -> None:
    """legacyResourceId, numberOfOrders, objectCount and money amounts arrive as strings."""
    query = reference_text(OPERATIONS)
    orders = sandbox.data(query, {"first": 2}, operationName="OrdersPage")["orders"]["nodes"]
    assert all(isinstance(o["legacyResourceId"], str) for o in orders)
    assert orders[0]["totalPriceSet"]["shopMoney"]["amount"] == "100.0"
    customers = sandbox.data(query, _variables("CustomersByIds", sandbox), operationName="CustomersByIds")
    assert [c["numberOfOrders"] for c in customers["nodes"]] == ["3", "2", "2"]
    bulk = sandbox.data(query, {"id": _bulk_id(sandbox)}, operationName="BulkOperationNode")["node"]
    assert isinstance(bulk["objectCount"], str) and isinstance(bulk["fileSize"], str)


def test_invalid_query_gets_graphql_validation_errors_with_http_200(sandbox) -> None:
    """A field the schema lacks is rejected by validation, as Shopify does, with HTTP 200."""
    body = sandbox.graphql("{ orders(first: 1) { nodes { id notAField } } }")
    assert "data" not in body
    assert "Cannot query field 'notAField' on type 'Order'." in body["errors"][0]["message"]
