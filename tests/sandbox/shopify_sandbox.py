"""Shared set-up for the sandbox Shopify tests: hand-built REST orders, a fake clock, a client."""

from __future__ import annotations

import copy
import json
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from sandbox.shopify.app import ShopifySandbox, create_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.store import SandboxShop, ShopifyStore
from tests.sandbox.hubspot_sandbox import FakeClock  # the same manual clock serves both sandboxes

with warnings.catch_warnings():
    # starlette 1.x wants httpx2 for its TestClient; the project pins httpx 0.28.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "sandbox-shopify-token"
VERSION = "2026-04"
GRAPHQL = f"/admin/api/{VERSION}/graphql.json"
_DEFAULT_REFERENCE = Path(__file__).resolve().parents[1] / "reference"
REFERENCE = Path(os.environ.get("SHOPSYNC_REFERENCE_DIR", _DEFAULT_REFERENCE)) / "shopify"
Json = dict[str, Any]
BASE_ID = 2**53 + 1  # every id is above 2**53, where floats stop being exact
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@cache
def reference_text(name: str) -> str:
    """A file from the vendored Shopify reference folder (tests/reference/shopify)."""
    return (REFERENCE / name).read_text()


def reference_json(name: str) -> Any:
    """A parsed JSON reference file (a fresh copy each call)."""
    return json.loads(reference_text(name))


def make_product(number: int, product_type: str = "Camping", tags: tuple[str, ...] = ()) -> Json:
    """A product in the seed contract's shape."""
    return {
        "id": BASE_ID + 500 + number,
        "title": f"Product {number}",
        "product_type": product_type,
        "tags": list(tags),
        "vendor": "Acme",
    }


def make_customer(number: int, email: str | None = None) -> Json:
    """A REST customer in the seed contract's shape."""
    customer_id = BASE_ID + 100 + number
    return {
        "id": customer_id,
        "email": email if email is not None else f"Customer{number}@Example.com",
        "first_name": f"First{number}",
        "last_name": f"Last{number}",
        "phone": None,
        "tags": "vip, newsletter",
        "state": "enabled",
        "currency": "USD",
        "created_at": "2025-01-01T09:00:00-05:00",
        "updated_at": "2025-01-01T09:00:00-05:00",
        "verified_email": True,
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
    }


def make_order(
    number: int,
    *,
    customer: Json | None = None,
    updated_at: datetime | None = None,
    test: bool = False,
    total: str = "100.00",
    products: tuple[Json, ...] = (),
) -> Json:
    """A REST order shaped exactly like Shopify's `orders/paid` sample, with our own values."""
    order: Json = reference_json("webhook_orders_paid_2026-04.metadata.json")["response"]
    order_id = BASE_ID + number
    moment = (updated_at or NOW - timedelta(days=number)).astimezone(UTC)
    stamp = moment.isoformat(timespec="seconds")
    money = {"amount": total, "currency_code": "USD"}
    order.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{1000 + number}",
        number=number,
        email=customer["email"] if customer else None,
        test=test,
        financial_status="paid",
        cancelled_at=None,
        cancel_reason=None,
        created_at=stamp,
        processed_at=stamp,
        updated_at=stamp,
        total_price=total,
        current_total_price=total,
        total_price_set={"shop_money": money, "presentment_money": copy.deepcopy(money)},
        current_total_price_set={"shop_money": money, "presentment_money": copy.deepcopy(money)},
        customer=copy.deepcopy(customer),
        refunds=[],
    )
    order["line_items"] = [
        _line_item(order["line_items"][0], order_id * 10 + i, product)
        for i, product in enumerate(products or (None,))
    ]
    return order


def _line_item(template: Json, item_id: int, product: Json | None) -> Json:
    item = copy.deepcopy(template)
    item.update(
        id=item_id,
        admin_graphql_api_id=f"gid://shopify/LineItem/{item_id}",
        product_id=product["id"] if product else None,
        sku=f"SKU-{item_id % 1000}",
        quantity=2,
        current_quantity=2,
    )
    return item


@dataclass
class Sandbox:
    """A sandbox Shopify app over a store, with its clock and an authenticated client."""

    store: ShopifyStore
    clock: FakeClock
    client: TestClient
    runtime: ShopifySandbox

    def graphql(self, query: str, variables: Json | None = None, **extra: Any) -> Json:
        """POST a GraphQL request, assert HTTP 200 and return the body."""
        body = {"query": query, "variables": variables or {}, **extra}
        response = self.client.post(GRAPHQL, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def data(self, query: str, variables: Json | None = None, **extra: Any) -> Json:
        """Like `graphql`, asserting there are no errors; returns `data`."""
        body = self.graphql(query, variables, **extra)
        assert "errors" not in body, body["errors"]
        data: Json = body["data"]
        return data


def make_sandbox(
    orders: list[Json] | None = None,
    customers: list[Json] | None = None,
    products: list[Json] | None = None,
    **config: Any,
) -> Sandbox:
    """A sandbox over the given records, a fake clock and a fixed wall clock."""
    clock = FakeClock()
    store = ShopifyStore(SandboxShop(), orders or [], customers or [], products or [])
    settings = ShopifySandboxConfig(clock=clock, now=lambda: NOW, **config)
    app = create_app(store, settings)
    client = TestClient(
        app,
        base_url="http://shopify.sandbox",
        headers={"X-Shopify-Access-Token": TOKEN},
    )
    return Sandbox(store, clock, client, app.state.sandbox)


def small_shop(orders: int = 7) -> tuple[list[Json], list[Json], list[Json]]:
    """Three customers, two products and `orders` orders spread over as many days."""
    products = [make_product(1, "Camping", ("premium",)), make_product(2, "")]
    customers = [make_customer(i) for i in range(3)]
    built = [make_order(i + 1, customer=customers[i % 3], products=(products[i % 2],)) for i in range(orders)]
    return built, customers, products


def shape(value: Any) -> Any:
    """Keys and JSON types of a value, with every number counted as just a number."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
