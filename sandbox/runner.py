"""Build both sandbox apps over one seeded store and serve them on loopback.

`shopsync sandbox` serves them until Ctrl-C; the demo, the benchmarks and the drills use
`running_sandbox()` to get the same thing for the length of a `with` block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from sandbox.hubspot.app import create_app as create_hubspot_app
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.store import HubSpotStore
from sandbox.seed import SeedData, generate_store
from sandbox.server import serve_in_thread
from sandbox.shopify.app import create_app as create_shopify_app
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.dispatcher import WebhookDispatcher
from sandbox.shopify.store import ShopifyStore

API_VERSION = "2026-04"
# How shopsync authenticates to the sandbox Shopify: a Dev Dashboard app's client credentials (the way a
# store owner connects today) or a legacy custom app's static token.
ShopifyAuthMode = Literal["client_credentials", "token"]


@dataclass
class SandboxEndpoints:
    """Where a running sandbox answers, with the credentials it accepts and its live stores."""

    shopify_base_url: str
    hubspot_base_url: str
    shopify_token: str
    hubspot_token: str
    seed: SeedData
    shopify_store: ShopifyStore
    hubspot_store: HubSpotStore
    shopify_config: ShopifySandboxConfig = field(repr=False)
    hubspot_config: HubSpotSandboxConfig = field(repr=False)
    # Shopify's webhook sender: delivers store events to whatever the app subscribed.
    shopify_webhooks: WebhookDispatcher = field(repr=False)
    # The HubSpot app's live context (store, rate limiter and its counters), for tests and benchmarks.
    hubspot_context: Any = field(default=None, repr=False)

    @property
    def shopify_graphql_url(self) -> str:
        return f"{self.shopify_base_url}/admin/api/{API_VERSION}/graphql.json"

    def environment(self, shopify_auth: ShopifyAuthMode = "token") -> dict[str, str]:
        """The settings that point shopsync at this sandbox (names as in the README).

        With client credentials there is no SHOPIFY_WEBHOOK_SECRETS either: the app's client secret signs
        the sandbox's webhooks and verifies them in the receiver.
        """
        if shopify_auth == "client_credentials":
            credentials = {
                "SHOPIFY_CLIENT_ID": self.shopify_config.client_id,
                "SHOPIFY_CLIENT_SECRET": self.shopify_config.client_secret,
            }
        else:
            credentials = {"SHOPIFY_ACCESS_TOKEN": self.shopify_token}
        return {
            "SHOPIFY_SHOP_DOMAIN": self.seed.shop.domain,
            "SHOPIFY_ADMIN_API_URL": self.shopify_graphql_url,
            **credentials,
            "SHOPIFY_SHOP_TIMEZONE": self.seed.shop.iana_timezone,
            "HUBSPOT_API_URL": self.hubspot_base_url,
            "HUBSPOT_ACCESS_TOKEN": self.hubspot_token,
        }


@contextmanager
def running_sandbox(
    host: str = "127.0.0.1",
    shopify_port: int = 0,
    hubspot_port: int = 0,
    seed: int = 7,
    shopify_config: ShopifySandboxConfig | None = None,
    hubspot_config: HubSpotSandboxConfig | None = None,
    synced: bool = True,
) -> Iterator[SandboxEndpoints]:
    """Serve a freshly seeded sandbox on loopback for the length of the block (port 0 = any free port).

    With `synced` (the default) HubSpot starts as an earlier shopsync sync left it, drift included
    (`sandbox.seed_drift`), so the nightly reconciliation has something to repair.
    """
    data = generate_store(seed=seed, synced=synced)
    with serve_sandbox(data, host, shopify_port, hubspot_port, shopify_config, hubspot_config) as endpoints:
        yield endpoints


@contextmanager
def serve_sandbox(
    data: SeedData,
    host: str = "127.0.0.1",
    shopify_port: int = 0,
    hubspot_port: int = 0,
    shopify_config: ShopifySandboxConfig | None = None,
    hubspot_config: HubSpotSandboxConfig | None = None,
) -> Iterator[SandboxEndpoints]:
    """Serve both sandbox apps over an already generated store (benchmarks build large ones themselves)."""
    shopify_config = shopify_config or ShopifySandboxConfig()
    hubspot_config = hubspot_config or HubSpotSandboxConfig()
    shopify_store = ShopifyStore.from_seed(data)
    hubspot_store = HubSpotStore.from_seed(data, clock=hubspot_config.clock)
    hubspot_app = create_hubspot_app(hubspot_store, hubspot_config)
    shopify_app = create_shopify_app(shopify_store, shopify_config)
    webhooks: WebhookDispatcher = shopify_app.state.sandbox.webhooks
    with ExitStack() as stack:
        stack.callback(webhooks.close)
        shopify = stack.enter_context(serve_in_thread(shopify_app, host, shopify_port))
        hubspot = stack.enter_context(serve_in_thread(hubspot_app, host, hubspot_port))
        yield SandboxEndpoints(
            shopify_base_url=shopify.base_url,
            hubspot_base_url=hubspot.base_url,
            shopify_token=shopify_config.access_token,
            hubspot_token=hubspot_config.access_token,
            seed=data,
            shopify_store=shopify_store,
            hubspot_store=hubspot_store,
            shopify_config=shopify_config,
            hubspot_config=hubspot_config,
            shopify_webhooks=webhooks,
            hubspot_context=hubspot_app.state.sandbox,
        )


def describe(endpoints: SandboxEndpoints, console: Console | None = None) -> None:
    """Print what the sandbox serves and the settings that point shopsync at it."""
    console = console or Console()
    seed = endpoints.seed
    table = Table(title=f"shopsync sandbox — {seed.shop.name} ({seed.shop.domain})")
    table.add_column("API")
    table.add_column("endpoint")
    table.add_column("serves")
    table.add_row(
        "Shopify Admin GraphQL",
        endpoints.shopify_graphql_url,
        f"{len(seed.orders)} orders, {len(seed.customers)} customers, {len(seed.products)} products",
    )
    table.add_row(
        "HubSpot CRM",
        f"{endpoints.hubspot_base_url}/crm/v3/objects/contacts",
        f"{len(endpoints.hubspot_store.contacts())} contacts",
    )
    table.add_row("state / faults", "GET /_sandbox/state · PUT /_sandbox/faults", "on both servers")
    console.print(table)
    console.print("Seeded edge cases and drift:")
    for note in seed.drift:
        console.print(f"  • {note}")
    console.print("Point shopsync at it with:")
    for name, value in endpoints.environment("client_credentials").items():
        console.print(f"  export {name}={value}")


def run_sandbox_forever(
    host: str,
    shopify_port: int,
    hubspot_port: int,
    seed: int,
    on_ready: Callable[[SandboxEndpoints], None] = describe,
) -> None:
    """Serve the sandbox until the process is interrupted."""
    with running_sandbox(host, shopify_port, hubspot_port, seed) as endpoints:
        on_ready(endpoints)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
