"""HubSpot's own Python SDK (hubspot-api-client 12) works against the sandbox over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException
from hubspot.crm.properties import PropertyCreate

from sandbox.hubspot.app import create_app
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.store import HubSpotStore
from sandbox.server import serve_in_thread

TOKEN = "sandbox-hubspot-token"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[HubSpot, HubSpotStore]]:
    """The sandbox on a random loopback port and an SDK client pointed at it."""
    store = HubSpotStore()
    for i in range(3):
        store.create_contact({"email": f"seed{i}@x.com", "firstname": f"Seed{i}"})
    app = create_app(store, HubSpotSandboxConfig(access_token=TOKEN, search_index_lag_seconds=0))
    with serve_in_thread(app) as server:
        yield HubSpot(access_token=TOKEN, host=server.base_url), store


def test_sdk_lists_contacts_page_by_page(served: tuple[HubSpot, HubSpotStore]) -> None:
    """basic_api.get_page follows `paging.next.after` across the seeded contacts."""
    client, store = served
    first = client.crm.contacts.basic_api.get_page(limit=2, properties=["email", "firstname"])
    assert first.paging is not None
    rest = client.crm.contacts.basic_api.get_page(limit=2, after=first.paging.next.after)
    emails = [c.properties["email"] for c in first.results + rest.results]
    assert emails[:3] == ["seed0@x.com", "seed1@x.com", "seed2@x.com"]
    assert first.results[0].properties["firstname"] == "Seed0"


def test_sdk_creates_a_contact_and_sees_the_409(served: tuple[HubSpot, HubSpotStore]) -> None:
    """basic_api.create returns the new record; a second create raises ApiException 409."""
    client, store = served
    body = SimplePublicObjectInputForCreate(properties={"email": "sdk@x.com", "firstname": "Sdk"})
    created = client.crm.contacts.basic_api.create(simple_public_object_input_for_create=body)
    assert store.get(created.id) is not None
    assert created.properties["firstname"] == "Sdk"
    with pytest.raises(ApiException) as raised:
        client.crm.contacts.basic_api.create(simple_public_object_input_for_create=body)
    assert raised.value.status == 409
    assert re.search(r"Existing ID:\s*(\d+)", raised.value.body).group(1) == created.id  # type: ignore[union-attr]


def test_sdk_batch_updates_contacts(served: tuple[HubSpot, HubSpotStore]) -> None:
    """batch_api.update writes every input and returns COMPLETE."""
    client, store = served
    ids = [c.id for c in store.contacts()[:2]]
    inputs = [SimplePublicObjectBatchInput(id=i, properties={"lastname": "Batch"}) for i in ids]
    response = client.crm.contacts.batch_api.update(
        batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(inputs=inputs)
    )
    assert response.status == "COMPLETE"
    assert {r.id for r in response.results} == set(ids)
    assert [store.get(i).properties["lastname"] for i in ids] == ["Batch", "Batch"]  # type: ignore[union-attr]


def test_sdk_creates_a_property(served: tuple[HubSpot, HubSpotStore]) -> None:
    """core_api.create defines a contact property the store then validates against."""
    client, store = served
    definition = PropertyCreate(
        name="shopify_customer_id",
        label="Shopify customer id",
        type="string",
        field_type="text",
        group_name="contactinformation",
        has_unique_value=True,
    )
    created = client.crm.properties.core_api.create(object_type="contacts", property_create=definition)
    assert created.name == "shopify_customer_id" and created.has_unique_value is True
    assert store.schema.unique_names() == ["shopify_customer_id"]
