"""What the app was granted: access scopes per object, and protected customer data per field.

A root field or `nodes` lookup of an object whose read scope the app lacks fails with ACCESS_DENIED, worded
as Shopify words it ("Access denied for orders field. Required access: `read_orders` access scope.").
Without protected customer data access the customer's email, name and phone resolve to null with an
ACCESS_DENIED error on each field while the rest of the object still reads: the shape recorded in
MONEI/Shopify-api-node's tests (`test/shopify.test.js`) from a real response.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from sandbox.shopify.ids import parse_gid
from sandbox.shopify.resolvers_connection import Info, context_of
from sandbox.shopify.resolvers_orders import Resolver

SCOPES_DOC = "https://shopify.dev/api/usage/access-scopes"
CUSTOMER_DATA_DOC = "https://partners.shopify.com/1/apps/1/customer_data"

# Root fields and the read scope each needs.
ROOT_FIELD_SCOPES = {
    "orders": "read_orders",
    "order": "read_orders",
    "customers": "read_customers",
    "customer": "read_customers",
    "product": "read_products",
}
# Object types reachable through node(id:) / nodes(ids:) and the scope each needs.
NODE_SCOPES = {"Order": "read_orders", "Customer": "read_customers", "Product": "read_products"}
# Protected customer data, level 2: name, email, phone (addresses too, which shopsync never reads).
PROTECTED_FIELDS = {
    "Customer": frozenset(
        {"email", "defaultEmailAddress", "firstName", "lastName", "displayName"}
        | {"phone", "defaultPhoneNumber"}
    ),
    "Order": frozenset({"email", "phone"}),
}


def scope_denied(field: str, scope: str) -> GraphQLError:
    """The ACCESS_DENIED error of a field that needs `scope`."""
    required = f"`{scope}` access scope."
    return GraphQLError(
        f"Access denied for {field} field. Required access: {required}",
        extensions={"code": "ACCESS_DENIED", "documentation": SCOPES_DOC, "requiredAccess": required},
    )


def customer_data_denied(field: str) -> GraphQLError:
    """The ACCESS_DENIED error of a protected customer data field."""
    return GraphQLError(
        f"This app is not approved to use the {field} field. See {CUSTOMER_DATA_DOC} for more details.",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": CUSTOMER_DATA_DOC,
            "requiredAccess": f"Shopify approval is required before using the {field} field.",
        },
    )


def guarded(type_name: str, field_name: str, resolver: Resolver) -> Resolver:
    """`resolver`, checked first against the scopes and customer data access the app holds."""
    scope = ROOT_FIELD_SCOPES.get(field_name) if type_name == "QueryRoot" else None
    protected = field_name in PROTECTED_FIELDS.get(type_name, frozenset())
    checks_nodes = type_name == "QueryRoot" and field_name in ("node", "nodes")
    if scope is None and not protected and not checks_nodes:
        return resolver

    def resolve(source: Any, info: Info, **args: Any) -> Any:
        config = context_of(info).config
        if scope is not None and scope not in config.granted_scopes:
            raise scope_denied(field_name, scope)
        if protected and not config.protected_customer_data:
            raise customer_data_denied(field_name)
        if checks_nodes:
            _check_node_scopes(field_name, args, config.granted_scopes)
        return resolver(source, info, **args)

    return resolve


def _check_node_scopes(field_name: str, args: dict[str, Any], granted: tuple[str, ...]) -> None:
    ids = args.get("ids") or [args.get("id")]
    for value in ids:
        parsed = parse_gid(str(value)) if value else None
        needed = NODE_SCOPES.get(parsed[0]) if parsed else None
        if needed is not None and needed not in granted:
            raise scope_denied(field_name, needed)


def access_scope_objects(granted: tuple[str, ...]) -> list[dict[str, str]]:
    """`currentAppInstallation.accessScopes`: one AccessScope per granted handle."""
    return [{"handle": handle, "description": f"Granted: {handle}"} for handle in granted]
