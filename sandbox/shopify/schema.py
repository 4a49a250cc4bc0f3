"""The real Shopify Admin 2026-04 schema, loaded once per process with sandbox resolvers bound."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from sandbox.shopify.access import guarded
from sandbox.shopify.resolvers_connection import ResolverContext, snake_case_resolver
from sandbox.shopify.resolvers_customers import (
    CUSTOMER_RESOLVERS,
    PRODUCT_RESOLVERS,
    SHOP_RESOLVERS,
    WEBHOOK_SUBSCRIPTION_RESOLVERS,
)
from sandbox.shopify.resolvers_orders import (
    LINE_ITEM_RESOLVERS,
    ORDER_RESOLVERS,
    REFUND_RESOLVERS,
    Resolver,
)
from sandbox.shopify.resolvers_root import MUTATION_RESOLVERS, QUERY_RESOLVERS
from sandbox.shopify.search_query import parse_timestamp
from sandbox.shopify.throttle import (
    LeakyBucket,
    QueryCoster,
    cost_extension,
    max_cost_error,
    throttled_error,
)

SCHEMA_PATH = Path(__file__).with_name("admin-2026-04.graphql.gz")

_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "QueryRoot": QUERY_RESOLVERS,
    "Mutation": MUTATION_RESOLVERS,
    "Order": ORDER_RESOLVERS,
    "LineItem": LINE_ITEM_RESOLVERS,
    "Refund": REFUND_RESOLVERS,
    "Customer": CUSTOMER_RESOLVERS,
    "Product": PRODUCT_RESOLVERS,
    "Shop": SHOP_RESOLVERS,
    "WebhookSubscription": WEBHOOK_SUBSCRIPTION_RESOLVERS,
}


@cache
def load_schema() -> GraphQLSchema:
    """Build the vendored schema (about a second) once and bind the sandbox to it.

    `assume_valid=True` is required: graphql-core 3.3 rejects the deprecations Shopify's
    real schema carries on some interface implementations (see reference SOURCES.md).
    """
    with gzip.open(SCHEMA_PATH, "rt", encoding="utf-8") as sdl:
        schema = build_schema(sdl.read(), assume_valid=True)
    _bind_scalars(schema)
    _bind_resolvers(schema)
    return schema


def serialize_datetime(value: Any) -> str:
    """Shopify's GraphQL returns every DateTime in UTC, to the second, with `Z`."""
    moment = value if isinstance(value, datetime) else parse_timestamp(str(value))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def serialize_decimal(value: Any) -> str:
    """Decimals come back as strings without trailing zeros but with one decimal: "73.0"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." in text else f"{text}.0"


def serialize_unsigned_int64(value: Any) -> str:
    """UnsignedInt64 is a JSON string so ids above 2**53 survive JavaScript clients."""
    return str(int(value))


def _bind_scalars(schema: GraphQLSchema) -> None:
    serializers = {
        "DateTime": serialize_datetime,
        "Decimal": serialize_decimal,
        "Money": serialize_decimal,
        "UnsignedInt64": serialize_unsigned_int64,
    }
    for name, serialize in serializers.items():
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)
        scalar.coerce_output_value = serialize


def _bind_resolvers(schema: GraphQLSchema) -> None:
    for graphql_type in schema.type_map.values():
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__"):
            bound = _RESOLVERS.get(graphql_type.name, {})
            unknown = set(bound) - set(graphql_type.fields)
            if unknown:
                raise LookupError(f"{graphql_type.name} has no fields {sorted(unknown)}")
            for name, field in graphql_type.fields.items():
                field.resolve = guarded(graphql_type.name, name, bound.get(name, snake_case_resolver))


def execute_graphql(
    request: Mapping[str, Any], context: ResolverContext, bucket: LeakyBucket
) -> dict[str, Any]:
    """Run one GraphQL request the way Shopify does: validate, price, throttle, execute.

    Args:
        request: The JSON body (`query`, `variables`, `operationName`).
        context: The store and settings resolvers read.
        bucket: The app's cost bucket.

    Returns:
        The response body: `data` and/or `errors`, plus `extensions.cost` once priced.
    """
    schema = load_schema()
    prepared = _prepare(schema, request)
    if isinstance(prepared, list):
        return {"errors": prepared}
    document, operation, variables = prepared
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.mutation_type if operation.operation is OperationType.MUTATION else schema.query_type
    assert root is not None
    coster = QueryCoster(fragments, variables)
    requested = coster.requested(operation, root)
    max_cost = context.config.max_query_cost
    if requested > max_cost:
        return {"errors": [max_cost_error(requested, max_cost)], **cost_extension(bucket, requested, None)}
    if not bucket.try_spend(requested):
        return {"errors": [throttled_error()], **cost_extension(bucket, requested, None)}
    result = execute_sync(
        schema,
        document,
        context_value=context,
        variable_values=request.get("variables") or {},
        operation_name=operation.name.value if operation.name else None,
    )
    actual = coster.actual(operation, root, result.data)
    bucket.refund(max(requested - actual, 0))
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    body["data"] = result.data
    return {**body, **cost_extension(bucket, requested, actual)}


def _prepare(
    schema: GraphQLSchema, request: Mapping[str, Any]
) -> list[Any] | tuple[DocumentNode, OperationDefinitionNode, VariableValues]:
    """Parse, validate and coerce variables; a list of formatted errors on failure."""
    query = request.get("query")
    if not isinstance(query, str) or not query.strip():
        return [{"message": "No query string was present"}]
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.formatted]
    errors = validate(schema, document)
    if errors:
        return [error.formatted for error in errors]
    operation = get_operation_ast(document, request.get("operationName"))
    if operation is None:
        return [{"message": "An operation name is required when the document has several operations"}]
    variables = get_variable_values(
        schema, operation.variable_definitions or (), request.get("variables") or {}
    )
    if isinstance(variables, list):
        return [error.formatted for error in variables]
    return document, operation, variables
