"""The synced seed: HubSpot as an earlier sync left it, with one contact per drift cause."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.expected import expected_customers
from sandbox.hubspot.store import HubSpotStore
from sandbox.seed import SeedData, generate_store
from sandbox.seed_drift import MANUAL_EDIT_DELTA


@pytest.fixture(scope="module")
def store() -> SeedData:
    return generate_store(synced=True)


def _synced(store: SeedData) -> dict[int, dict[str, str]]:
    return {
        int(contact.properties["shopify_customer_id"]): contact.properties
        for contact in store.hubspot_contacts
        if "shopify_customer_id" in contact.properties
    }


def test_synced_contacts_come_after_the_unsynced_seed_and_draw_nothing_from_it(store: SeedData) -> None:
    """The plain seed is a prefix: orders, customers and pre-existing contacts are unchanged."""
    plain = generate_store()

    assert store.orders == plain.orders and store.customers == plain.customers
    assert store.hubspot_contacts[: len(plain.hubspot_contacts)] == plain.hubspot_contacts
    assert len(_synced(store)) > 10


def test_most_synced_contacts_hold_the_oracle_values_and_a_few_drift(store: SeedData) -> None:
    """All but three synced contacts equal the oracle; the three are a manual edit, a refund, an orphan."""
    oracle = expected_customers(store.orders)
    wrong = {
        customer_id: properties
        for customer_id, properties in _synced(store).items()
        if Decimal(properties["shopify_total_spent"]) != oracle[customer_id].total_spent
        or int(properties["shopify_order_count"]) != oracle[customer_id].order_count
    }

    assert len(wrong) == 3
    deltas = {cid: Decimal(p["shopify_total_spent"]) - oracle[cid].total_spent for cid, p in wrong.items()}
    assert MANUAL_EDIT_DELTA in deltas.values()
    assert sum(1 for cid in wrong if oracle[cid].order_count == 0) == 1  # the orphan
    notes = " ".join(store.drift)
    assert "edited by hand" in notes and "refunded after the last sync" in notes and "orphan" in notes


def test_a_customer_who_bought_has_no_contact_at_all(store: SeedData) -> None:
    """The missed-webhook customer qualifies but no contact carries their id or email."""
    oracle = expected_customers(store.orders)
    emails = {c.properties["email"].lower() for c in store.hubspot_contacts}
    missing = [
        customer
        for customer in store.customers
        if customer["email"]
        and oracle.get(customer["id"]) is not None
        and oracle[customer["id"]].order_count > 0
        and customer["email"].strip().lower() not in emails
        and customer["id"] not in _synced(store)
    ]
    assert any(str(customer["id"]) in note for customer in missing for note in store.drift)


def test_the_sandbox_portal_accepts_the_synced_contacts_with_shopsync_properties(store: SeedData) -> None:
    """from_seed defines the shopify group and properties first; the unique id property holds."""
    portal = HubSpotStore.from_seed(store)

    assert portal.schema.get("shopify_customer_id") is not None
    assert "shopify_customer_id" in portal.schema.unique_names()
    assert "shopify" in portal.schema.groups
    for customer_id in _synced(store):
        assert portal.find_by("shopify_customer_id", str(customer_id)) is not None


def test_an_unsynced_seed_leaves_the_portal_without_shopsync_properties() -> None:
    """Without synced contacts the portal is bare, as before shopsync's setup ran."""
    portal = HubSpotStore.from_seed(generate_store())

    assert portal.schema.get("shopify_customer_id") is None
