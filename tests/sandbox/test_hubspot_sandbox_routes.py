"""The `/_sandbox` routes and building the store from the shared seed."""

from __future__ import annotations

import pytest

from sandbox.hubspot.store import HubSpotStore
from sandbox.seed import generate_store
from tests.sandbox.hubspot_sandbox import CONTACTS, FakeClock, make_sandbox


def test_state_lists_contacts_and_needs_no_token() -> None:
    """GET /_sandbox/state works without a token and shows every contact's properties."""
    sb = make_sandbox()
    created = sb.create(email="a@x.com", firstname="Ann")
    state = sb.client.get("/_sandbox/state", headers={"Authorization": ""}).json()
    assert [c["id"] for c in state["contacts"]] == [created["id"]]
    assert state["contacts"][0]["properties"]["firstname"] == "Ann"
    assert {"properties", "groups", "counters", "redirects"} <= set(state)


def test_reset_restores_the_starting_store_and_counters() -> None:
    """POST /_sandbox/reset forgets writes and requests made since the app started."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    sb.define("tier")
    sb.client.post("/_sandbox/reset")
    state = sb.client.get("/_sandbox/state").json()
    assert state["contacts"] == []
    assert "tier" not in {p["name"] for p in state["properties"]}
    assert state["counters"]["served"] == 0
    assert sb.create(email="a@x.com")["properties"]["email"] == "a@x.com"


def test_ui_edit_skips_rate_limits_but_respects_search_lag() -> None:
    """A simulated UI edit is not counted, bumps lastmodifieddate and reaches search after the lag."""
    sb = make_sandbox(search_index_lag_seconds=2.0, ten_second_limit=1)
    created = sb.create(email="a@x.com", firstname="Old")
    sb.clock.advance(5)
    edited = sb.client.patch(f"/_sandbox/contacts/{created['id']}", json={"properties": {"firstname": "New"}})
    assert edited.status_code == 200
    assert edited.json()["properties"]["lastmodifieddate"] > created["properties"]["lastmodifieddate"]
    body = {"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "new"}]}]}
    assert sb.client.post(f"{CONTACTS}/search", json=body).json()["total"] == 0
    sb.clock.advance(2)
    assert sb.client.post(f"{CONTACTS}/search", json=body).json()["total"] == 1
    assert sb.client.get("/_sandbox/state").json()["counters"]["per_endpoint"] == {
        "POST objects/contacts": 1,
        "POST objects/contacts/search": 2,
    }


def test_ui_edit_may_change_a_unique_value_but_not_read_only_ones() -> None:
    """People can retype a unique value in the UI; record ids stay read only."""
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    contact_id = sb.create(email="a@x.com", shopify_customer_id="1")["id"]
    url = f"/_sandbox/contacts/{contact_id}"
    assert sb.client.patch(url, json={"properties": {"shopify_customer_id": "2"}}).status_code == 200
    read_only = sb.client.patch(url, json={"properties": {"hs_object_id": "5"}})
    assert read_only.status_code == 400
    assert sb.store.contacts()[0].properties["shopify_customer_id"] == "2"


def test_from_seed_applies_merges_and_indexes_seeded_contacts_at_once() -> None:
    """Seeded contacts are searchable despite the lag, and merged ones resolve to survivors."""
    seed = generate_store()
    store = HubSpotStore.from_seed(seed, clock=FakeClock())
    merged = [i for i, c in enumerate(seed.hubspot_contacts) if c.merged_into is not None]
    assert len(store.contacts()) == len(seed.hubspot_contacts) - len(merged)
    survivors = [c for c in store.contacts() if c.properties.get("hs_merged_object_ids")]
    assert merged and len(survivors) == len({seed.hubspot_contacts[i].merged_into for i in merged})
    for survivor in survivors:
        for old_id in survivor.properties["hs_merged_object_ids"].split(";"):  # type: ignore[union-attr]
            assert store.get(old_id) is survivor
    assert len(store.search_view(lag_seconds=3600)) == len(store.contacts())


@pytest.mark.parametrize(
    ("status", "key", "value"),
    [(423, "category", "LOCKED"), (429, "policyName", "TEN_SECONDLY_ROLLING"), (503, "status", "error")],
)
def test_injected_faults_have_hubspot_bodies_and_cost_nothing(status: int, key: str, value: str) -> None:
    """PUT /_sandbox/faults makes API calls fail HubSpot-style; they are not counted as served."""
    sb = make_sandbox()
    plan = {"error_rates": {str(status): 1.0}}
    assert sb.client.put("/_sandbox/faults", json=plan).status_code == 200
    response = sb.client.get(CONTACTS)
    assert response.status_code == status
    assert response.json()[key] == value
    assert response.headers["X-HubSpot-Correlation-Id"] == response.json()["correlationId"]
    assert sb.client.get("/_sandbox/state").json()["counters"]["served"] == 0
