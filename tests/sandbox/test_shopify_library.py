"""Shopify's own Python library (ShopifyAPI) talks to the sandbox over real HTTP."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Iterator

import pytest
import shopify

from sandbox.server import RunningServer, serve_in_thread
from sandbox.shopify.app import create_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.store import SandboxShop, ShopifyStore
from tests.sandbox.shopify_sandbox import TOKEN, VERSION, small_shop

ORDERS = """query($first: Int!) { orders(first: $first, sortKey: ID) {
  pageInfo { hasNextPage }
  nodes { id legacyResourceId totalPriceSet { shopMoney { amount currencyCode } } }
} }"""


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    orders, customers, products = small_shop(orders=3)
    store = ShopifyStore(SandboxShop(), orders, customers, products)
    with serve_in_thread(create_app(store, ShopifySandboxConfig())) as running:
        yield running


def _activate(server: RunningServer, token: str) -> None:
    """Open a library session, then point it at the loopback server.

    `shopify.Session` always builds `https://<shop>.myshopify.com`, so the session is
    activated for the shop and the resource site (which `GraphQL()` reads) is replaced by
    the sandbox's plain-HTTP address.
    """
    session = shopify.Session(SandboxShop().domain, VERSION, token)
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = f"{server.base_url}/admin/api/{VERSION}"


@pytest.fixture
def session(server: RunningServer) -> Iterator[RunningServer]:
    yield server
    shopify.ShopifyResource.clear_session()


def test_shopify_library_runs_an_orders_query(session: RunningServer) -> None:
    """shopify.GraphQL().execute returns the sandbox's orders with exact int64 ids and string money."""
    _activate(session, TOKEN)
    result = json.loads(shopify.GraphQL().execute(ORDERS, {"first": 2}))
    nodes = result["data"]["orders"]["nodes"]
    assert len(nodes) == 2 and result["data"]["orders"]["pageInfo"]["hasNextPage"] is True
    assert all(int(n["legacyResourceId"]) > 2**53 for n in nodes)
    assert nodes[0]["id"] == f"gid://shopify/Order/{nodes[0]['legacyResourceId']}"
    assert nodes[0]["totalPriceSet"]["shopMoney"] == {"amount": "100.0", "currencyCode": "USD"}
    assert result["extensions"]["cost"]["requestedQueryCost"] == 2 + 2 * 3


def test_shopify_library_sees_401_for_a_wrong_token(session: RunningServer, capsys) -> None:
    """With a wrong token the library raises HTTPError 401 (it prints Shopify's body first)."""
    _activate(session, "not-the-token")
    with pytest.raises(urllib.error.HTTPError) as raised:
        shopify.GraphQL().execute(ORDERS, {"first": 1})
    assert raised.value.code == 401
    assert "Invalid API key or access token" in capsys.readouterr().out
