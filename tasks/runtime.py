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
from typing import TypeVar

from sqlalchemy import Engine

from tasks.credentials.hubspot import HubSpotCredentials, paced_limit
from tasks.credentials.shopify import ShopifyCredentials
from tasks.errors import ConfigError
from tasks.hubspot.client import HubSpotClient
from tasks.rate_budget import HUBSPOT_WRITE, BudgetedPacer
from tasks.rules.config import ShopsyncConfig, load_config
from tasks.settings import Settings, get_settings
from tasks.shopify.client import ShopifyClient
from tasks.shopify.product_types import ProductTypeCache
from tasks.store.contact_leases import ContactLeases
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Inbox
from tasks.store.ledger import Ledger
from tasks.store.redactions import CreatedContacts, Redactions


@dataclass
class Runtime:
    """The state and the API clients of one flow run."""

    settings: Settings
    config: ShopsyncConfig
    inbox: Inbox
    ledger: Ledger
    leases: ContactLeases
    shopify: ShopifyClient
    hubspot: HubSpotClient
    product_types: ProductTypeCache
    redactions: Redactions
    created_contacts: CreatedContacts
    engine: Engine


@lru_cache(maxsize=4)
def database(url: str) -> Engine:
    """One engine per database URL per process, with the schema in place."""
    engine = make_engine(url)
    create_schema(engine)
    return engine


CredentialsT = TypeVar("CredentialsT", ShopifyCredentials, HubSpotCredentials)


def _credentials(kind: type[CredentialsT], block_name: str | None, settings: Settings) -> CredentialsT:
    """The saved Block when one is named, else credentials built from the environment."""
    if block_name:
        loaded = kind.load(block_name)
        if not isinstance(loaded, kind):
            raise ConfigError(f"block {block_name!r} is not a {kind.__name__}")
        return loaded
    return kind.from_settings(settings)


def shopify_credentials(settings: Settings) -> ShopifyCredentials:
    """The Shopify credentials: the Block named by SHOPSYNC_SHOPIFY_BLOCK, else the environment."""
    return _credentials(ShopifyCredentials, settings.shopify_block, settings)


def hubspot_credentials(settings: Settings) -> HubSpotCredentials:
    """The HubSpot credentials: the Block named by SHOPSYNC_HUBSPOT_BLOCK, else the environment."""
    return _credentials(HubSpotCredentials, settings.hubspot_block, settings)


def _hubspot_client(settings: Settings) -> HubSpotClient:
    credentials = hubspot_credentials(settings)
    if not settings.rate_budgets:
        return credentials.get_client()
    # Draw every request from the Prefect budget all runs share, on top of this process's own window.
    pacer = BudgetedPacer(HUBSPOT_WRITE, paced_limit(credentials.requests_per_10s), 10.0)
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
            leases=ContactLeases(engine, settings.claim_lease_seconds),
            shopify=shopify,
            hubspot=hubspot,
            product_types=ProductTypeCache(shopify.product_types),
            redactions=Redactions(engine),
            created_contacts=CreatedContacts(engine),
            engine=engine,
        )
    finally:
        shopify.close()
        hubspot.close()
