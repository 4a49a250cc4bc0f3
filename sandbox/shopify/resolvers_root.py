"""Root `QueryRoot` and `Mutation` fields of the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

from graphql import GraphQLError

from sandbox.shopify.access import access_scope_objects
from sandbox.shopify.bulk import BulkOperation
from sandbox.shopify.bulk_rules import BulkQueryInvalid
from sandbox.shopify.ids import gid, gid_number, parse_gid
from sandbox.shopify.resolvers_connection import Info, Record, context_of, paginate, timestamp_key
from sandbox.shopify.resolvers_customers import customer_connection
from sandbox.shopify.resolvers_orders import Resolver, order_connection
from sandbox.shopify.search_query import FilterField, Kind, parse_search_query

WEBHOOK_URI_SCHEMES = ("https://", "http://", "pubsub://", "arn:aws:events:")

BULK_FILTERS: dict[str, FilterField] = {
    "status": FilterField(Kind.TEXT, lambda op: op["status"]),
    "operation_type": FilterField(Kind.TEXT, lambda op: op["type"]),
    "created_at": FilterField(Kind.DATETIME, lambda op: op["createdAt"]),
    "id": FilterField(Kind.INT, lambda op: gid_number(op["id"])),
}


def find_node(info: Info, value: str) -> Record | None:
    """Look up any supported object by gid; None for unknown ids and unsupported types."""
    parsed = parse_gid(value)
    if parsed is None:
        return None
    kind, number = parsed
    context = context_of(info)
    store = context.store
    if kind == "BulkOperation":
        operation = context.bulk.get(number)
        return _bulk_object(info, operation) if operation else None
    lookups = {
        "Order": store.get_order,
        "Customer": store.get_customer,
        "Product": store.get_product,
    }
    found = lookups[kind](number) if kind in lookups else None
    # The abstract Node type is resolved through `__typename` on a shallow copy.
    return {**found, "__typename": kind} if found is not None else None


def _typed(info: Info, value: str, kind: str) -> Record | None:
    """Like find_node, but None when the gid names another type (as Shopify does)."""
    parsed = parse_gid(value)
    return find_node(info, value) if parsed and parsed[0] == kind else None


def _bulk_object(info: Info, operation: BulkOperation) -> Record:
    context = context_of(info)
    base_url = (context.config.public_base_url or context.base_url).rstrip("/")
    return context.bulk.as_graphql(operation, base_url)


def _bulk_operations(_root: Any, info: Info, **args: Any) -> Record:
    operations = [_bulk_object(info, op) for op in context_of(info).bulk.all()]
    query = parse_search_query(args.get("query"))
    timezone = context_of(info).store.shop.iana_timezone
    matching = [
        op
        for op in operations
        if query.matches({**op, "status": op["status"].lower(), "type": "query"}, BULK_FILTERS, timezone)
    ]
    sort_field = "completedAt" if args.get("sortKey") == "COMPLETED_AT" else "createdAt"

    def sort_key(op: Record) -> tuple[Any, int]:
        moment = op[sort_field]
        return (moment.isoformat() if moment else "", parse_gid(op["id"])[1])  # type: ignore[index]

    # Newest first unless reversed, matching Shopify's documented default.
    return paginate(matching, sort_key, {**args, "reverse": not args.get("reverse")}, info)


def _current_bulk_operation(_root: Any, info: Info, **_args: Any) -> Record | None:
    operations = context_of(info).bulk.all()
    return _bulk_object(info, operations[-1]) if operations else None


def _run_bulk_query(_root: Any, info: Info, query: str, groupObjects: bool = False) -> Record:  # noqa: N803
    context = context_of(info)
    running = context.bulk.running()
    if len(running) >= context.config.max_concurrent_bulk_operations:
        message = (
            "A bulk query operation for this app and shop is already in progress: "
            f"{gid('BulkOperation', running[-1].id)}."
        )
        return _bulk_payload(None, [{"field": None, "message": message, "code": "OPERATION_IN_PROGRESS"}])
    try:
        operation = context.bulk.start(info.schema, query, groupObjects, replace(context, bulk_mode=True))
    except (BulkQueryInvalid, GraphQLError) as error:
        invalid = {"field": ["query"], "message": f"Invalid bulk query: {error}", "code": "INVALID"}
        return _bulk_payload(None, [invalid])
    return _bulk_payload(_bulk_object(info, operation), [])


def _bulk_payload(operation: Record | None, errors: list[Record]) -> Record:
    return {"bulkOperation": operation, "userErrors": errors}


def _cancel_bulk(_root: Any, info: Info, id: str) -> Record:  # noqa: A002
    context = context_of(info)
    parsed = parse_gid(id)
    operation = context.bulk.get(parsed[1]) if parsed and parsed[0] == "BulkOperation" else None
    if operation is None:
        return _bulk_payload(None, [{"field": ["id"], "message": "Bulk operation does not exist"}])
    status = context.bulk.status(operation)
    if status in ("COMPLETED", "CANCELED"):
        message = f"A bulk operation cannot be canceled when it is {status.lower()}"
        return _bulk_payload(_bulk_object(info, operation), [{"field": None, "message": message}])
    context.bulk.cancel(operation)
    return _bulk_payload(_bulk_object(info, operation), [])


def _webhook_subscriptions(_root: Any, info: Info, **args: Any) -> Record:
    subscriptions = context_of(info).store.webhook_subscriptions
    topics = args.get("topics")
    matching = [s for s in subscriptions if not topics or s["topic"] in topics]
    if args.get("uri"):
        matching = [s for s in matching if s["uri"] == args["uri"]]
    return paginate(matching, lambda s: (timestamp_key(s["createdAt"]), gid_number(s["id"])), args, info)


def _create_webhook_subscription(
    _root: Any,
    info: Info,
    topic: str,
    webhookSubscription: Record,  # noqa: N803
) -> Record:
    context = context_of(info)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl") or ""
    problem = _webhook_uri_problem(context.store.webhook_subscriptions, topic, uri)
    if problem:
        return {
            "webhookSubscription": None,
            "userErrors": [{"field": ["webhookSubscription", "uri"], "message": problem}],
        }
    now = context.config.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    subscription = {
        "id": gid("WebhookSubscription", context.store.next_id()),
        "topic": topic,
        "uri": uri,
        "format": webhookSubscription.get("format") or "JSON",
        "filter": webhookSubscription.get("filter"),
        "includeFields": list(webhookSubscription.get("includeFields") or []),
        "metafieldNamespaces": list(webhookSubscription.get("metafieldNamespaces") or []),
        "name": webhookSubscription.get("name"),
        "apiVersion": context.api_version or context.config.api_versions[-1],
        "createdAt": now,
        "updatedAt": now,
    }
    context.store.webhook_subscriptions.append(subscription)
    return {"webhookSubscription": subscription, "userErrors": []}


def _update_webhook_subscription(
    _root: Any,
    info: Info,
    id: str,  # noqa: A002
    webhookSubscription: Record,  # noqa: N803
) -> Record:
    context = context_of(info)
    subscriptions = context.store.webhook_subscriptions
    match = next((s for s in subscriptions if s["id"] == id), None)
    if match is None:
        errors = [{"field": ["id"], "message": "Webhook subscription does not exist"}]
        return {"webhookSubscription": None, "userErrors": errors}
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl") or match["uri"]
    others = [s for s in subscriptions if s is not match]
    problem = _webhook_uri_problem(others, match["topic"], uri)
    if problem:
        errors = [{"field": ["webhookSubscription", "uri"], "message": problem}]
        return {"webhookSubscription": None, "userErrors": errors}
    match.update(
        uri=uri,
        format=webhookSubscription.get("format") or match["format"],
        updatedAt=context.config.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return {"webhookSubscription": match, "userErrors": []}


def _webhook_uri_problem(existing: list[Record], topic: str, uri: str) -> str | None:
    if not uri.startswith(WEBHOOK_URI_SCHEMES):
        return "Address is invalid"
    if any(s["topic"] == topic and s["uri"] == uri for s in existing):
        return "Address for this topic has already been taken"
    return None


def _delete_webhook_subscription(_root: Any, info: Info, id: str) -> Record:  # noqa: A002
    subscriptions = context_of(info).store.webhook_subscriptions
    match = next((s for s in subscriptions if s["id"] == id), None)
    if match is None:
        errors = [{"field": ["id"], "message": "Webhook subscription does not exist"}]
        return {"deletedWebhookSubscriptionId": None, "userErrors": errors}
    subscriptions.remove(match)
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


QUERY_RESOLVERS: dict[str, Resolver] = {
    "orders": lambda _r, i, **a: order_connection(context_of(i).store.orders(), i, **a),
    "order": lambda _r, i, id: _typed(i, id, "Order"),
    "customers": lambda _r, i, **a: customer_connection(context_of(i).store.customers(), i, **a),
    "customer": lambda _r, i, id: _typed(i, id, "Customer"),
    "product": lambda _r, i, id: _typed(i, id, "Product"),
    "node": lambda _r, i, id: find_node(i, id),
    "nodes": lambda _r, i, ids: [find_node(i, value) for value in ids],
    "bulkOperation": lambda _r, i, id: _typed(i, id, "BulkOperation"),
    "bulkOperations": _bulk_operations,
    "currentBulkOperation": _current_bulk_operation,
    "webhookSubscriptions": _webhook_subscriptions,
    "webhookSubscription": lambda _r, i, id: next(
        (s for s in context_of(i).store.webhook_subscriptions if s["id"] == id), None
    ),
    "shop": lambda _r, _i: {},
    "currentAppInstallation": lambda _r, i: {
        "id": gid("AppInstallation", 1),
        "accessScopes": access_scope_objects(context_of(i).config.granted_scopes),
    },
}

MUTATION_RESOLVERS: dict[str, Resolver] = {
    "bulkOperationRunQuery": _run_bulk_query,
    "bulkOperationCancel": _cancel_bulk,
    "webhookSubscriptionCreate": _create_webhook_subscription,
    "webhookSubscriptionDelete": _delete_webhook_subscription,
    "webhookSubscriptionUpdate": _update_webhook_subscription,
}
