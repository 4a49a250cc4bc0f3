"""The HubSpot client end to end against the sandbox HubSpot app, in process (TestClient is httpx)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tasks.credentials.hubspot import HubSpotCredentials
from tasks.errors import RateLimitExhausted
from tasks.hubspot.batching import create_contacts, update_contacts, upsert_contacts
from tasks.hubspot.client import ContactExists, HubSpotAuth, HubSpotClient
from tasks.hubspot.models import (
    ContactCreate,
    PropertyDefinition,
    PropertyValue,
    parse_date,
    parse_decimal,
    parse_int,
)
from tasks.hubspot.pacing import Pacer
from tasks.retry import retry_policy
from tests.sandbox.hubspot_sandbox import TOKEN, Sandbox, make_sandbox

PURCHASE_PROPERTIES = [
    PropertyDefinition(
        name="shopify_customer_id",
        label="Shopify customer id",
        type="string",
        field_type="text",
        group_name="shopify",
        has_unique_value=True,
    ),
    PropertyDefinition(
        name="shopify_total_spent",
        label="Total spent",
        type="number",
        field_type="number",
        group_name="shopify",
    ),
    PropertyDefinition(
        name="shopify_orders_count", label="Orders", type="number", field_type="number", group_name="shopify"
    ),
    PropertyDefinition(
        name="shopify_last_order_date",
        label="Last order",
        type="date",
        field_type="date",
        group_name="shopify",
    ),
]
READ = ["email", *(definition.name for definition in PURCHASE_PROPERTIES)]


@dataclass
class Waits:
    """Separate logs of pacer and retry waits, both moving the sandbox's fake clock."""

    sandbox: Sandbox
    paced: list[float] = field(default_factory=list)
    retried: list[float] = field(default_factory=list)

    def pace(self, seconds: float) -> None:
        self.paced.append(seconds)
        self.sandbox.clock.advance(seconds)

    def retry(self, seconds: float) -> None:
        self.retried.append(seconds)
        self.sandbox.clock.advance(seconds)


def _client(sandbox: Sandbox, requests_per_10s: int = 190) -> tuple[HubSpotClient, Waits]:
    waits = Waits(sandbox)
    sandbox.client.auth = HubSpotAuth(TOKEN)
    client = HubSpotClient(
        sandbox.client,
        retry=retry_policy(sleep=waits.retry),
        pacer=Pacer(requests_per_10s, 10.0, clock=sandbox.clock, sleep=waits.pace),
        search_pacer=Pacer(4, 1.0, clock=sandbox.clock, sleep=waits.pace),
    )
    return client, waits


def _set_up_properties(client: HubSpotClient) -> list[bool]:
    created = [client.create_group("shopify", "Shopify")]
    return created + [client.create_property(definition) for definition in PURCHASE_PROPERTIES]


@pytest.fixture
def portal() -> tuple[Sandbox, HubSpotClient]:
    sandbox = make_sandbox()
    client, _ = _client(sandbox)
    _set_up_properties(client)
    return sandbox, client


def test_property_setup_can_run_twice() -> None:
    """The second setup run finds the group and properties and changes nothing."""
    sandbox = make_sandbox()
    client, _ = _client(sandbox)
    assert _set_up_properties(client) == [True] * 5
    assert _set_up_properties(client) == [False] * 5
    definition = client.get_property("shopify_customer_id")
    assert definition is not None and definition.has_unique_value
    assert client.get_property("shopify_nonexistent") is None


def test_the_credentials_block_authenticates_against_the_sandbox() -> None:
    """A client from the Block reaches the sandbox with the Block's token; a wrong token fails fast."""
    sandbox = make_sandbox()
    good = HubSpotCredentials(api_url="http://hubspot.sandbox", access_token=SecretStr(TOKEN))
    assert good.get_client(sandbox.client).create_group("shopify", "Shopify") is True
    bad = HubSpotCredentials(api_url="http://hubspot.sandbox", access_token=SecretStr("wrong"))
    with pytest.raises(Exception, match="INVALID_AUTHENTICATION"):
        bad.get_client(sandbox.client).get_property("email")


def test_realtime_path_create_conflict_then_patch(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """Create → 409 for the same email → ContactExists names the contact → PATCH writes typed values."""
    _, client = portal
    first = client.create_contact({"email": "ann@example.com"})
    with pytest.raises(ContactExists) as caught:
        client.create_contact({"email": "ann@example.com", "shopify_customer_id": "7390000000000000001"})
    assert caught.value.existing_id == first.id

    values: dict[str, PropertyValue] = {
        "shopify_customer_id": "7390000000000000001",
        "shopify_total_spent": Decimal("1234.50"),
        "shopify_orders_count": 3,
        "shopify_last_order_date": date(2026, 11, 20),
    }
    updated = client.update_contact(caught.value.existing_id, values)
    assert updated is not None and updated.id == first.id

    by_key = client.get_contact("7390000000000000001", id_property="shopify_customer_id", properties=READ)
    assert by_key is not None
    assert parse_decimal(by_key.properties["shopify_total_spent"]) == Decimal("1234.50")
    assert parse_int(by_key.properties["shopify_orders_count"]) == 3
    assert parse_date(by_key.properties["shopify_last_order_date"]) == date(2026, 11, 20)

    client.update_contact(first.id, {"shopify_last_order_date": None})
    cleared = client.get_contact(first.id, properties=READ)
    assert cleared is not None and cleared.properties["shopify_last_order_date"] is None


def test_patch_by_unknown_unique_id_reads_as_none(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """PATCH ?idProperty=shopify_customer_id for an unknown customer answers None: the caller creates."""
    _, client = portal
    assert (
        client.update_contact("404404", {"shopify_orders_count": 1}, id_property="shopify_customer_id")
        is None
    )


def test_nightly_batch_isolates_one_invalid_record(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """A batch of 7 updates with one non-numeric count writes 6 and rejects exactly that one."""
    _, client = portal
    created = create_contacts(
        client,
        [ContactCreate({"email": f"c{n}@example.com"}, object_write_trace_id=str(n)) for n in range(7)],
    )
    assert created.rejected == []
    ids = sorted(contact.id for contact in created.written)
    inputs: list[tuple[str, dict[str, PropertyValue]]] = [
        (contact_id, {"shopify_orders_count": n}) for n, contact_id in enumerate(ids)
    ]
    inputs[3] = (ids[3], {"shopify_orders_count": "lots"})

    outcome = update_contacts(client, inputs)

    assert sorted(contact.id for contact in outcome.written) == sorted(ids[:3] + ids[4:])
    assert [rejected.input[0] for rejected in outcome.rejected] == [ids[3]]
    assert "lots" in outcome.rejected[0].reason or "number" in outcome.rejected[0].reason.lower()


def test_batch_create_rejects_existing_emails_with_their_ids(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """One existing email in a create batch doesn't block the others and comes back with its id."""
    _, client = portal
    existing = client.create_contact({"email": "taken@example.com"})
    emails = ["new1@example.com", "TAKEN@example.com", "new2@example.com"]
    inputs = [
        ContactCreate({"email": email}, object_write_trace_id=f"t{n}") for n, email in enumerate(emails)
    ]

    outcome = create_contacts(client, inputs)

    assert sorted(contact.properties.get("email") or "" for contact in outcome.written) == [
        "new1@example.com",
        "new2@example.com",
    ]
    assert [
        (rejected.input.object_write_trace_id, rejected.existing_id) for rejected in outcome.rejected
    ] == [("t1", existing.id)]


def test_upsert_by_unique_property_reports_new_and_existing(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """An upsert creates unknown customers and updates known ones, flagging which is which."""
    _, client = portal
    client.create_contact({"email": "old@example.com", "shopify_customer_id": "1"})
    outcome = upsert_contacts(
        client,
        [("1", {"shopify_orders_count": 5}), ("2", {"email": "new@example.com", "shopify_orders_count": 1})],
        "shopify_customer_id",
    )
    assert outcome.rejected == []
    flags = {
        contact.properties.get("shopify_customer_id"): getattr(contact, "new", None)
        for contact in outcome.written
    }
    assert flags == {"1": False, "2": True}


def test_listing_pages_through_every_contact_once(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """iter_contacts walks 25 contacts in pages of 10 without repeats or gaps."""
    _, client = portal
    created = create_contacts(
        client,
        [ContactCreate({"email": f"p{n}@example.com"}, object_write_trace_id=str(n)) for n in range(25)],
    )
    pages = list(client.iter_contacts(["email"], page_size=10))
    assert [len(page) for page in pages] == [10, 10, 5]
    assert sorted(contact.id for page in pages for contact in page) == sorted(c.id for c in created.written)


def test_adopting_by_email_and_following_merges(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """Batch read by email finds contacts in any case; a merged-away id still resolves to its survivor."""
    _, client = portal
    ann = client.create_contact({"email": "ann@example.com"})
    bob = client.create_contact({"email": "bob@example.com"})
    found, missing = client.batch_read(["ANN@example.com", "nobody@example.com"], id_property="email")
    assert [contact.id for contact in found] == [ann.id]
    assert missing == ["nobody@example.com"]

    survivor = client.merge(ann.id, bob.id)
    merged, missing_ids = client.batch_read([bob.id], properties=["email"])
    assert [contact.id for contact in merged] == [survivor.id]
    assert missing_ids == []


def test_search_finds_by_email(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """A search with one EQ filter returns the matching contact and its total."""
    _, client = portal
    ann = client.create_contact({"email": "ann@example.com"})
    client.create_contact({"email": "bob@example.com"})
    group = {"filters": [{"propertyName": "email", "operator": "EQ", "value": "ann@example.com"}]}
    page = client.search([group], ["email"])
    assert page.total == 1 and [contact.id for contact in page.results] == [ann.id]


def test_pacing_keeps_the_client_under_the_portals_burst_limit() -> None:
    """Paced at the portal's limit, 25 reads never see a 429; unpaced, the 429 costs a 10 s retry wait."""
    paced_sandbox = make_sandbox(ten_second_limit=10)
    paced, paced_waits = _client(paced_sandbox, requests_per_10s=10)
    for _ in range(25):
        paced.get_property("email")
    assert paced_waits.retried == []
    assert sum(paced_waits.paced) >= 20.0

    unpaced_sandbox = make_sandbox(ten_second_limit=10)
    unpaced, unpaced_waits = _client(unpaced_sandbox, requests_per_10s=1000)
    for _ in range(25):
        unpaced.get_property("email")
    assert unpaced_waits.retried and all(wait == 10.0 for wait in unpaced_waits.retried)


def test_daily_limit_stops_the_run() -> None:
    """When the daily budget is spent the client raises at once instead of retrying."""
    sandbox = make_sandbox(daily_limit=3)
    client, waits = _client(sandbox)
    for _ in range(3):
        client.get_property("email")
    with pytest.raises(RateLimitExhausted):
        client.get_property("email")
    assert waits.retried == []


def test_injected_locks_throttles_and_outages_are_ridden_out(portal: tuple[Sandbox, HubSpotClient]) -> None:
    """With 423/429/503 injected on a third of requests, every write lands, waiting as HubSpot asks."""
    sandbox, client = portal
    plan = {"error_rates": {"423": 0.15, "429": 0.1, "503": 0.1}, "seed": 5, "paths": "/contacts$"}
    assert sandbox.client.put("/_sandbox/faults", json=plan).status_code == 200
    waits = Waits(sandbox)
    client = HubSpotClient(
        sandbox.client,
        retry=retry_policy(sleep=waits.retry),
        pacer=Pacer(190, 10.0, clock=sandbox.clock, sleep=waits.pace),
    )

    created = [client.create_contact({"email": f"f{n}@example.com"}) for n in range(30)]

    assert len({contact.id for contact in created}) == 30
    assert len(sandbox.store.contacts()) == 30
    assert waits.retried, "the plan injected no faults; pick another seed"
    assert 10.0 in waits.retried and 2.0 in waits.retried
