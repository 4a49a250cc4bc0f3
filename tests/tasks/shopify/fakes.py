"""Test doubles for the Shopify client: order payloads and a scripted GraphQL MockTransport.

The fake clock is shared with the HubSpot client tests (`tests.tasks.hubspot.fakes.FakeClock`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tasks.retry import retry_policy
from tasks.shopify.auth import ShopifyAuth
from tasks.shopify.client import ShopifyClient
from tests.tasks.hubspot.fakes import FakeClock as FakeClock

GRAPHQL_URL = "https://shopsync-demo.myshopify.com/admin/api/2026-04/graphql.json"
Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]

# Above 2**53: a float round trip would change them.
ORDER_ID = 820982911946154508
CUSTOMER_ID = 115310627314723954
PRODUCT_ID = 788032119674292922


def reference_json(reference_dir: Path, name: str) -> Any:
    """A file from tests/reference/shopify, decoded."""
    return json.loads((reference_dir / "shopify" / name).read_text())


def webhook_payload(**overrides: Any) -> dict[str, Any]:
    """A REST-shaped orders/paid body with exact int64 ids; keyword overrides replace top-level keys."""
    payload: dict[str, Any] = {
        "id": ORDER_ID,
        "admin_graphql_api_id": f"gid://shopify/Order/{ORDER_ID}",
        "name": "#1001",
        "email": "Order.Email@Example.com",
        "contact_email": "contact@example.com",
        "processed_at": "2026-02-28T23:30:00-05:00",
        "updated_at": "2026-03-01T10:00:00-05:00",
        "cancelled_at": None,
        "test": False,
        "financial_status": "paid",
        "currency": "USD",
        "total_price": "120.50",
        "total_price_set": _money_set("120.50"),
        "current_total_price": "100.25",
        "current_total_price_set": _money_set("100.25"),
        "source_name": "web",
        "tags": "VIP, wholesale ,, vip",
        "customer": {
            "id": CUSTOMER_ID,
            "email": "  Jon.Snow@Example.COM ",
            "tags": "Newsletter, Returning",
            "admin_graphql_api_id": f"gid://shopify/Customer/{CUSTOMER_ID}",
        },
        "line_items": [
            {"id": 1, "product_id": PRODUCT_ID, "quantity": 1, "price": "50.00"},
            {"id": 2, "product_id": None, "quantity": 1, "price": "0.25"},
            {"id": 3, "product_id": PRODUCT_ID, "quantity": 1, "price": "50.00"},
            {"id": 4, "product_id": 7, "quantity": 1, "price": "20.25"},
        ],
    }
    payload.update(overrides)
    return payload


def _money_set(amount: str) -> dict[str, Any]:
    # Presentment money deliberately differs: the record must read shop money.
    return {
        "shop_money": {"amount": amount, "currency_code": "USD"},
        "presentment_money": {"amount": "999.99", "currency_code": "EUR"},
    }


def graphql_order(order_id: int = ORDER_ID, **overrides: Any) -> dict[str, Any]:
    """An `Order` node as `operations.ORDERS_PAGE` selects it; keyword overrides replace top-level keys."""
    node: dict[str, Any] = {
        "id": f"gid://shopify/Order/{order_id}",
        "legacyResourceId": str(order_id),
        "name": "#1001",
        "email": "order@example.com",
        "test": False,
        "cancelledAt": None,
        "processedAt": "2026-03-01T04:30:00Z",
        "updatedAt": "2026-03-01T15:00:00Z",
        "displayFinancialStatus": "PARTIALLY_REFUNDED",
        "currencyCode": "USD",
        "sourceName": "pos",
        "tags": ["Gift", "gift", " Rush "],
        "currentTotalPriceSet": {"shopMoney": {"amount": "80.10", "currencyCode": "USD"}},
        "totalPriceSet": {"shopMoney": {"amount": "100.10", "currencyCode": "USD"}},
        "customer": {
            "id": f"gid://shopify/Customer/{CUSTOMER_ID}",
            "legacyResourceId": str(CUSTOMER_ID),
            "defaultEmailAddress": {"emailAddress": " Ada@Example.com"},
            "tags": ["VIP"],
        },
        "lineItems": {
            "nodes": [
                {
                    "quantity": 1,
                    "product": {"id": f"gid://shopify/Product/{PRODUCT_ID}", "productType": "Shirts"},
                },
                {"quantity": 2, "product": None},
                {"quantity": 1, "product": {"id": "gid://shopify/Product/7", "productType": ""}},
            ]
        },
    }
    node.update(copy.deepcopy(overrides))
    return node


def cost(
    requested: float, available: float, restore_rate: float = 100.0, maximum: float = 2000.0
) -> dict[str, Any]:
    """An `extensions` object with a cost report."""
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": maximum,
                "currentlyAvailable": available,
                "restoreRate": restore_rate,
            },
        }
    }


def data_reply(data: dict[str, Any], extensions: dict[str, Any] | None = None) -> httpx.Response:
    """A 200 GraphQL reply carrying `data` (and a full bucket unless `extensions` says otherwise)."""
    return httpx.Response(200, json={"data": data, "extensions": extensions or cost(10, 2000)})


def orders_page(nodes: list[dict[str, Any]], end_cursor: str | None, has_next: bool) -> httpx.Response:
    """A reply to OrdersPage."""
    page_info = {"hasNextPage": has_next, "endCursor": end_cursor}
    return data_reply({"orders": {"pageInfo": page_info, "nodes": nodes}})


@dataclass
class ScriptedShopify:
    """A MockTransport handler answering from a script, in order; it keeps each request and its JSON body."""

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.answers, f"unexpected extra request {request.method} {request.url}"
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def variables(self) -> list[dict[str, Any]]:
        """The GraphQL variables of every request, in order."""
        return [json.loads(request.content)["variables"] for request in self.requests]

    def queries(self) -> list[str]:
        """The GraphQL documents of every request, in order."""
        return [json.loads(request.content)["query"] for request in self.requests]


def make_client(
    server: ScriptedShopify, clock: FakeClock | None = None, attempts: int = 4, token: str | None = None
) -> ShopifyClient:
    """A client over `server` whose retries and pacing sleep on `clock` (nothing really waits)."""
    clock = clock or FakeClock()
    auth = ShopifyAuth(token) if token else None
    http = httpx.Client(transport=httpx.MockTransport(server), auth=auth)
    return ShopifyClient(
        http,
        GRAPHQL_URL,
        shop_timezone="America/New_York",
        retry=retry_policy(attempts=attempts, sleep=clock.sleep),
        sleep=clock.sleep,
        clock=clock,
    )
