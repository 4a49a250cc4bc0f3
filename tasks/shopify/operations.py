"""Every GraphQL document shopsync sends to the Admin API, checked against the pinned 2026-04 schema in tests.

`Customer.email` is deprecated, so emails come from `defaultEmailAddress`; webhook subscriptions use `uri`,
not `callbackUrl`/`endpoint`; bulk polling uses `node(id:)`/`bulkOperations`, not `currentBulkOperation`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

__all__ = [
    "BULK_OPERATION_NODE",
    "BULK_OPERATION_RUN_QUERY",
    "ORDERS_BY_IDS",
    "ORDERS_PAGE",
    "PRODUCT_TYPES",
    "RUNNING_BULK_OPERATIONS",
    "WEBHOOK_SUBSCRIPTIONS",
    "WEBHOOK_SUBSCRIPTION_CREATE",
    "WEBHOOK_SUBSCRIPTION_UPDATE",
    "APP_ACCESS",
    "CUSTOMER_EMAIL_PROBE",
    "bulk_orders_query",
    "orders_search_query",
    "sent_documents",
]

# A query may request at most 1,000 cost points, and a connection costs `first` x its item cost, so the page
# size and the inner line-item `first` trade off: per order 1 (order) + 2 (customer, email) + 4 (two money
# sets) + 2 + 20 x 2 (line items with their product) = 49 points, and 18 orders = 18 x 49 + 2 = 884.
# Orders with more than 20 line items lose the products past the 20th on this path (the bulk export has no
# such cap); 100 line items x 250 orders would request 52,252 points and fail with MAX_COST_EXCEEDED.
LINE_ITEMS_PER_ORDER = 20
MAX_ORDERS_PER_PAGE = 18
# nodes(ids:) accepts at most 250 ids; products cost 1 point each.
MAX_IDS_PER_NODES_QUERY = 250

# Scalar and object fields of an order; the line-item connection is added per document shape because bulk
# queries want `edges { node }` and no `first`, while paged queries want `nodes` with `first`.
_ORDER_SCALARS = """
    id
    legacyResourceId
    name
    email
    test
    cancelledAt
    processedAt
    updatedAt
    displayFinancialStatus
    currencyCode
    sourceName
    tags
    currentTotalPriceSet { shopMoney { amount currencyCode } }
    totalPriceSet { shopMoney { amount currencyCode } }
    customer {
      id
      legacyResourceId
      defaultEmailAddress { emailAddress }
      tags
    }
"""

_ORDER_FIELDS_FRAGMENT = f"""
fragment OrderFields on Order {{
{_ORDER_SCALARS}
  lineItems(first: {LINE_ITEMS_PER_ORDER}) {{
    nodes {{ quantity product {{ id productType }} }}
  }}
}}
"""

ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}
"""
    + _ORDER_FIELDS_FRAGMENT
)

ORDERS_BY_IDS = (
    """
query OrdersByIds($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Order { ...OrderFields } }
}
"""
    + _ORDER_FIELDS_FRAGMENT
)

PRODUCT_TYPES = """
query ProductTypes($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id productType } }
}
"""

# groupObjects is Boolean! and its default flipped in 2026-01; passing false pins the JSONL layout
# (children on their own lines with __parentId) whatever version the shop falls forward to.
BULK_OPERATION_RUN_QUERY = """
mutation BulkOrdersExport($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status errorCode objectCount fileSize url partialDataUrl }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_NODE = """
query BulkOperationNode($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount fileSize url partialDataUrl }
  }
}
"""

RUNNING_BULK_OPERATIONS = """
query RunningBulkOperations {
  bulkOperations(first: 1, query: "status:running operation_type:query") {
    nodes { id status errorCode objectCount fileSize url partialDataUrl }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri format filter includeFields }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri format filter includeFields }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_UPDATE = """
mutation WebhookSubscriptionUpdate($id: ID!, $uri: String!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri format filter includeFields }
    userErrors { field message }
  }
}
"""

APP_ACCESS = """
query AppAccess {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}
"""

# One customer's email: protected customer data (level 2). Without that access Shopify answers the field
# null with an ACCESS_DENIED error, while everything else about the customer still reads.
CUSTOMER_EMAIL_PROBE = """
query CustomerEmailProbe {
  customers(first: 1) { nodes { id defaultEmailAddress { emailAddress } } }
}
"""


def _search_time(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError(f"order window bounds must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_search_query(since: datetime | None, until: datetime | None) -> str | None:
    """The `query:` filter for an `updated_at` window: since inclusive, until exclusive; None if unbounded.

    Raises:
        ValueError: A bound is a naive datetime (which instant it means would depend on the machine).
    """
    terms = []
    if since is not None:
        terms.append(f"updated_at:>='{_search_time(since)}'")
    if until is not None:
        terms.append(f"updated_at:<'{_search_time(until)}'")
    return " AND ".join(terms) or None


def bulk_orders_query(since: datetime | None) -> str:
    """The query a bulk export runs: every order updated since `since` (all when None) with its line items.

    Bulk queries take no `first` and flatten connections into JSONL lines joined by `__parentId`.
    """
    search = orders_search_query(since, None)
    # json.dumps yields a valid GraphQL string literal (same escapes for quotes and backslashes).
    arguments = f"(query: {json.dumps(search)}, sortKey: UPDATED_AT)" if search else "(sortKey: UPDATED_AT)"
    return f"""
{{
  orders{arguments} {{
    edges {{
      node {{
{_ORDER_SCALARS}
        lineItems {{ edges {{ node {{ id quantity product {{ id productType }} }} }} }}
      }}
    }}
  }}
}}
"""


def sent_documents() -> dict[str, str]:
    """Every document the client can send, by name, with the bulk query for a bounded and an open window."""
    return {
        "OrdersPage": ORDERS_PAGE,
        "OrdersByIds": ORDERS_BY_IDS,
        "ProductTypes": PRODUCT_TYPES,
        "BulkOrdersExport": BULK_OPERATION_RUN_QUERY,
        "BulkOperationNode": BULK_OPERATION_NODE,
        "RunningBulkOperations": RUNNING_BULK_OPERATIONS,
        "WebhookSubscriptions": WEBHOOK_SUBSCRIPTIONS,
        "WebhookSubscriptionCreate": WEBHOOK_SUBSCRIPTION_CREATE,
        "WebhookSubscriptionUpdate": WEBHOOK_SUBSCRIPTION_UPDATE,
        "AppAccess": APP_ACCESS,
        "CustomerEmailProbe": CUSTOMER_EMAIL_PROBE,
        "BulkOrdersQuery(since)": bulk_orders_query(datetime(2026, 11, 1, tzinfo=UTC)),
        "BulkOrdersQuery(all)": bulk_orders_query(None),
    }
