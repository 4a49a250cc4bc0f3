"""Everything a flow run needs, built once from settings: database, clients, rules.

Flows receive ids, never credentials or payloads; they open a Runtime inside the run. Credentials come
from the environment (`Settings`) or, when `SHOPSYNC_SHOPIFY_BLOCK` / `SHOPSYNC_HUBSPOT_BLOCK` name them,
from saved Prefect Blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine

from tasks.config import ShopsyncConfig, load_config
from tasks.db import create_schema, make_engine
from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.credentials import HubSpotCredentials
from tasks.inbox import Inbox
from tasks.ledger import Ledger
from tasks.rate_budget import HUBSPOT_WRITE, BudgetedPacer
from tasks.settings import Settings, get_settings
from tasks.shopify.client import ShopifyClient
from tasks.shopify.credentials import ShopifyCredentials
from tasks.shopify.product_types import ProductTypeCache


@dataclass
class Runtime:
    """The state and the API clients of one flow run."""

    settings: Settings
    config: ShopsyncConfig
    inbox: Inbox
    ledger: Ledger
    shopify: ShopifyClient
    hubspot: HubSpotClient
    product_types: ProductTypeCache


@lru_cache(maxsize=4)
def database(url: str) -> Engine:
    """One engine per database URL per process, with the schema in place."""
    engine = make_engine(url)
    create_schema(engine)
    return engine


def shopify_credentials(settings: Settings) -> ShopifyCredentials:
    """The Shopify credentials: the named Block if SHOPSYNC_SHOPIFY_BLOCK is set, else the environment."""
    if settings.shopify_block:
        loaded = ShopifyCredentials.load(settings.shopify_block)
        assert isinstance(loaded, ShopifyCredentials)
        return loaded
    return ShopifyCredentials.from_settings(settings)


def hubspot_credentials(settings: Settings) -> HubSpotCredentials:
    """The HubSpot credentials: the named Block if SHOPSYNC_HUBSPOT_BLOCK is set, else the environment."""
    if settings.hubspot_block:
        loaded = HubSpotCredentials.load(settings.hubspot_block)
        assert isinstance(loaded, HubSpotCredentials)
        return loaded
    return HubSpotCredentials.from_settings(settings)


def _hubspot_client(settings: Settings) -> HubSpotClient:
    credentials = hubspot_credentials(settings)
    if not settings.rate_budgets:
        return credentials.get_client()
    # Draw every request from the Prefect budget all runs share, on top of this process's own window.
    pacer = BudgetedPacer(HUBSPOT_WRITE, credentials.requests_per_10s, 10.0)
    return credentials.get_client(pacer=pacer)


@contextmanager
def open_runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    """Build the runtime; HTTP clients are closed when the block exits."""
    settings = settings or get_settings()
    engine = database(settings.sqlalchemy_url)
    shopify = shopify_credentials(settings).get_client()
    hubspot = _hubspot_client(settings)
    try:
        yield Runtime(
            settings=settings,
            config=load_config(settings.config_path),
            inbox=Inbox(engine),
            ledger=Ledger(engine),
            shopify=shopify,
            hubspot=hubspot,
            product_types=ProductTypeCache(shopify.product_types),
        )
    finally:
        shopify.close()
        hubspot.close()
