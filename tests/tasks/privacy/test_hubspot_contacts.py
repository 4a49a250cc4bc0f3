"""The `privacy.on_redact` policies against the sandbox HubSpot: what the contact looks like afterwards."""

from __future__ import annotations

import pytest

from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.protocol import HubSpotAuth
from tasks.privacy.hubspot_contacts import clearable_properties, contacts_of_customer, forget_contacts
from tasks.rules.config import MappingConfig, PrivacyConfig, ShopsyncConfig
from tasks.setup.hubspot_properties import ensure_properties
from tests.sandbox.hubspot_sandbox import TOKEN, Sandbox, make_sandbox

MAPPED = MappingConfig(source="order.source_name", property="shopify_last_order_source")
PURCHASE = {
    "shopify_total_spent": "120.50",
    "shopify_order_count": "2",
    "shopify_last_order_number": "#1002",
    "shopify_currency": "USD",
    "shopify_last_write_source": "realtime",
    "shopify_last_order_source": "web",
}


def _portal(policy: str) -> tuple[Sandbox, HubSpotClient, ShopsyncConfig]:
    config = ShopsyncConfig(mapping=(MAPPED,), privacy=PrivacyConfig(on_redact=policy))  # type: ignore[arg-type]
    sandbox = make_sandbox()
    sandbox.client.auth = HubSpotAuth(TOKEN)
    client = HubSpotClient(sandbox.client)
    ensure_properties(client, config)
    return sandbox, client, config


def _contact(sandbox: Sandbox, customer_id: int, email: str) -> str:
    created = sandbox.create(email=email, shopify_customer_id=str(customer_id), **PURCHASE)
    return str(created["id"])


@pytest.mark.parametrize("policy", ["clear_properties", "delete_contact"])
def test_a_contact_shopsync_did_not_create_is_only_cleared(policy: str) -> None:
    """Under either policy, a contact HubSpot's users made keeps its email and loses shopsync's values."""
    sandbox, client, config = _portal(policy)
    contact_id = _contact(sandbox, 11, "ada@example.com")

    (forgotten,) = forget_contacts(client, contacts_of_customer(client, 11, config), config, set())

    contact = sandbox.store.get(contact_id)
    assert forgotten.fate == "cleared" and contact is not None
    assert contact.properties["email"] == "ada@example.com"
    assert [name for name in clearable_properties(config) if contact.properties.get(name)] == []


def test_delete_contact_archives_a_contact_shopsync_created_after_clearing_it() -> None:
    """The archived record (restorable in HubSpot for 90 days) holds none of shopsync's values either."""
    sandbox, client, config = _portal("delete_contact")
    contact_id = _contact(sandbox, 12, "bob@example.com")

    (forgotten,) = forget_contacts(client, contacts_of_customer(client, 12, config), config, {contact_id})

    assert forgotten.fate == "deleted" and sandbox.store.get(contact_id) is None
    (archived,) = sandbox.store.archived_contacts()
    assert [name for name in clearable_properties(config) if archived.properties.get(name)] == []


def test_a_customer_without_a_contact_changes_nothing() -> None:
    """No contact carries the id: nothing to clear, nothing written."""
    sandbox, client, config = _portal("clear_properties")
    _contact(sandbox, 13, "cy@example.com")
    assert contacts_of_customer(client, 99, config) == []
    assert forget_contacts(client, [], config, set()) == []
    assert client.archive_contact("999999") is False
