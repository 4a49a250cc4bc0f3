"""A whole shopsync installation for flow tests: sandboxes on loopback, receiver, database, sender.

The sandboxes are real HTTP servers (the flow builds its clients from settings, exactly as in production);
the receiver runs in-process and hands deliveries to the same SQLite database the flow reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from deployments.receiver.app import create_receiver_app
from deployments.receiver.run_trigger import NullRunTrigger
from sandbox.expected import ExpectedCustomer, expected_customers
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.workflows import Enrolment, read_enrolments
from sandbox.runner import SandboxEndpoints, ShopifyAuthMode, running_sandbox
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.sender import WebhookSender
from sandbox.shopify.webhook_payloads import build_compliance_delivery, build_delivery
from tasks import settings as settings_module
from tasks.credentials.hubspot import HubSpotCredentials
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.setup.hubspot_properties import ensure_properties
from tasks.store.inbox import Inbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

WEBHOOK_SECRET = "world-webhook-secret"
TRIGGER, WRITE_SOURCE = "shopify_last_order_paid_at", "shopify_last_write_source"
PURCHASE_PROPERTIES = {
    "total_spent": "shopify_total_spent",
    "order_count": "shopify_order_count",
    "first_order_date": "shopify_first_order_date",
    "last_order_date": "shopify_last_order_date",
    "last_order_number": "shopify_last_order_number",
}


@dataclass
class World:
    """Handles on every part of a running installation."""

    sandbox: SandboxEndpoints
    inbox: Inbox
    sender: WebhookSender
    receiver: httpx.Client

    def order(self, order_id: int) -> dict[str, Any]:
        found = self.sandbox.shopify_store.get_order(order_id)
        assert found is not None, order_id
        return found

    def deliver(self, topic: str, order_id: int, webhook_id: str | None = None) -> int | None:
        """Send one signed webhook built from the store's current order; returns the final HTTP status."""
        payload = build_delivery(topic, self.order(order_id), shop_domain=self.sandbox.seed.shop.domain)
        return self.sender.deliver(topic, payload, webhook_id).status

    def request(
        self, topic: str, customer_id: int | None = None, webhook_id: str | None = None
    ) -> int | None:
        """Send a signed compliance webhook (customers/redact, customers/data_request, shop/redact) naming
        the customer and all of their orders, as Shopify's app-config delivery would."""
        store = self.sandbox.shopify_store
        customer = store.get_customer(customer_id) if customer_id is not None else None
        orders = store.customer_orders(customer_id) if customer_id is not None else []
        domain = self.sandbox.seed.shop.domain
        payload = build_compliance_delivery(topic, customer, orders, shop_domain=domain)
        return self.sender.deliver(topic, payload, webhook_id).status

    def expected(self) -> dict[int, ExpectedCustomer]:
        """What HubSpot should say, computed independently from the store's current orders."""
        return expected_customers(self.sandbox.shopify_store.orders())

    def contact_of(self, customer_id: int) -> dict[str, str | None] | None:
        """The live HubSpot properties of the contact carrying this Shopify customer id."""
        for contact in self.sandbox.hubspot_store.contacts():
            if contact.properties.get("shopify_customer_id") == str(customer_id):
                return dict(contact.properties)
        return None

    def enrolments(self) -> dict[str, list[Enrolment]]:
        """Per contact (by Shopify customer id, else record id): each time a workflow enrolled on the trigger
        property would have fired, read over the API from the property history."""
        headers = {"Authorization": f"Bearer {self.sandbox.hubspot_token}"}
        with httpx.Client(base_url=self.sandbox.hubspot_base_url, headers=headers, timeout=30) as http:
            return read_enrolments(http, TRIGGER, WRITE_SOURCE, "shopify_customer_id")

    def contacts_with_id(self, customer_id: int) -> int:
        return sum(
            1
            for contact in self.sandbox.hubspot_store.contacts()
            if contact.properties.get("shopify_customer_id") == str(customer_id)
        )


def contact_matches(contact: dict[str, str | None], expected: ExpectedCustomer) -> bool:
    """Typed comparison of a contact's purchase properties with the oracle's values."""
    total = contact.get("shopify_total_spent")
    return (
        total is not None
        and Decimal(total) == expected.total_spent
        and int(contact.get("shopify_order_count") or -1) == expected.order_count
        and (contact.get("shopify_first_order_date") or None)
        == (expected.first_order_date.isoformat() if expected.first_order_date else None)
        and (contact.get("shopify_last_order_date") or None)
        == (expected.last_order_date.isoformat() if expected.last_order_date else None)
        and (contact.get("shopify_last_order_number") or None) == expected.last_order_number
    )


@contextmanager
def build_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shopify_config: ShopifySandboxConfig | None = None,
    shopify_auth: ShopifyAuthMode = "token",
    hubspot_config: HubSpotSandboxConfig | None = None,
    database_url: str | None = None,
    synced: bool = True,
) -> Iterator[World]:
    """Start the sandboxes (with these configs), point the settings at them and wire receiver → inbox.

    The database is a fresh SQLite file unless `database_url` names another (an empty PostgreSQL schema).
    With `synced` off, HubSpot holds only the contacts that predate shopsync (an empty portal to it).
    """
    with running_sandbox(
        shopify_config=shopify_config, hubspot_config=hubspot_config, synced=synced
    ) as sandbox:
        environment = {
            **sandbox.environment(shopify_auth),
            "SHOPIFY_WEBHOOK_SECRETS": WEBHOOK_SECRET,
            "SHOPSYNC_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'shopsync.db'}",
            "SHOPSYNC_CONFIG": str(tmp_path / "shopsync.toml"),
            "SHOPSYNC_DATA_DIR": str(tmp_path / "data"),
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        settings_module.get_settings.cache_clear()
        settings = settings_module.get_settings()
        hubspot = HubSpotCredentials.from_settings(settings).get_client()
        ensure_properties(hubspot, ShopsyncConfig())
        hubspot.close()
        inbox = Inbox(database(settings.sqlalchemy_url))
        app = create_receiver_app(settings, inbox, NullRunTrigger())
        with TestClient(app, base_url="https://receiver.test") as receiver:
            sender = WebhookSender(
                receiver, "/webhooks/shopify", WEBHOOK_SECRET, sandbox.seed.shop.domain, time_scale=0.0
            )
            yield World(sandbox, inbox, sender, receiver)
        settings_module.get_settings.cache_clear()


@contextmanager
def world_on_backend(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A world on a fresh SQLite file or an emptied PostgreSQL schema, whose nightly may rewrite any share."""
    from tests.tasks.store.db_backends import POSTGRES_URL, open_engine

    (tmp_path / "shopsync.toml").write_text("[reconcile]\nmax_drift_share = 1.0\n")
    url = POSTGRES_URL if backend == "postgresql" else f"sqlite:///{tmp_path / 'shopsync.db'}"
    with contextmanager(open_engine)(backend, tmp_path):
        with build_world(tmp_path, monkeypatch, database_url=url) as built:
            yield built
