"""Recorded exchanges with the sandbox HubSpot server prove the client's requests keep the same shape.

Locally, a missing cassette is recorded against the sandbox served by uvicorn on loopback (a real
`httpx.Client`, which vcrpy captures at the httpcore level). In CI (`CI` set) cassettes only replay, and a
request whose method, path, query or JSON body differs from the recording fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import vcr

from sandbox.hubspot.app import create_app
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.store import HubSpotStore
from sandbox.server import serve_in_thread
from tasks.hubspot.batching import create_contacts, update_contacts
from tasks.hubspot.client import ContactExists, HubSpotAuth, HubSpotClient
from tasks.hubspot.models import ContactCreate, PropertyDefinition, PropertyValue, parse_date, parse_decimal
from tasks.retry import retry_policy

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "hubspot_client"
TOKEN = "sandbox-hubspot-token"
# Replays never open a socket; host and port are not matched, so any URL does.
REPLAY_URL = "http://127.0.0.1:9"


def _vcr() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none" if os.environ.get("CI") else "once",
        filter_headers=["authorization"],
        decode_compressed_response=True,
        match_on=["method", "path", "query", "body"],
    )


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[HubSpotClient]:
    """A client whose traffic is recorded to, or replayed from, this test's cassette."""
    cassette_name = f"{request.node.name}.yaml"
    with ExitStack() as stack:
        base_url = REPLAY_URL
        if not (CASSETTES / cassette_name).exists():
            config = HubSpotSandboxConfig(search_index_lag_seconds=0.0)
            base_url = stack.enter_context(serve_in_thread(create_app(HubSpotStore(), config))).base_url
        cassette = stack.enter_context(_vcr().use_cassette(cassette_name, allow_playback_repeats=True))
        http = stack.enter_context(httpx.Client(base_url=base_url, auth=HubSpotAuth(TOKEN)))
        # One attempt: a replay mismatch must fail now, not after real back-off sleeps.
        yield HubSpotClient(http, retry=retry_policy(attempts=1))
        if cassette.rewound:
            assert cassette.all_played, "the client skipped requests the recording made"


def _define(client: HubSpotClient, *definitions: PropertyDefinition) -> None:
    client.create_group("shopify", "Shopify")
    for definition in definitions:
        client.create_property(definition)


CUSTOMER_ID = PropertyDefinition(
    name="shopify_customer_id",
    label="Shopify customer id",
    type="string",
    field_type="text",
    group_name="shopify",
    has_unique_value=True,
)
TOTAL_SPENT = PropertyDefinition(
    name="shopify_total_spent", label="Total spent", type="number", field_type="number", group_name="shopify"
)
ORDERS_COUNT = PropertyDefinition(
    name="shopify_orders_count", label="Orders", type="number", field_type="number", group_name="shopify"
)
LAST_ORDER = PropertyDefinition(
    name="shopify_last_order_date", label="Last order", type="date", field_type="date", group_name="shopify"
)


def test_create_conflict_then_patch(client: HubSpotClient) -> None:
    """Create, 409 on the same email, PATCH the named contact, read it back by the unique Shopify id."""
    _define(client, CUSTOMER_ID, TOTAL_SPENT, LAST_ORDER)
    first = client.create_contact({"email": "ann@example.com"})
    # Not byte-identical to the first create: with playback repeats on, vcr would replay the 201.
    with pytest.raises(ContactExists) as caught:
        client.create_contact({"email": "ann@example.com", "firstname": "Ann"})
    assert caught.value.existing_id == first.id

    values: dict[str, PropertyValue] = {
        "shopify_customer_id": "7390000000000000001",
        "shopify_total_spent": Decimal("1234.50"),
        "shopify_last_order_date": date(2026, 11, 20),
    }
    client.update_contact(caught.value.existing_id, values)
    read = client.get_contact(
        "7390000000000000001", id_property="shopify_customer_id", properties=list(values)
    )
    assert read is not None and read.id == first.id
    assert parse_decimal(read.properties["shopify_total_spent"]) == Decimal("1234.50")
    assert parse_date(read.properties["shopify_last_order_date"]) == date(2026, 11, 20)


def test_batch_update_bisects_around_a_bad_record(client: HubSpotClient) -> None:
    """Seven updates with one invalid count: six written, one rejected, the same requests as recorded."""
    _define(client, ORDERS_COUNT)
    created = create_contacts(
        client,
        [ContactCreate({"email": f"c{n}@example.com"}, object_write_trace_id=str(n)) for n in range(7)],
    )
    ids = sorted(contact.id for contact in created.written)
    inputs: list[tuple[str, dict[str, PropertyValue]]] = [
        (contact_id, {"shopify_orders_count": n}) for n, contact_id in enumerate(ids)
    ]
    inputs[3] = (ids[3], {"shopify_orders_count": "lots"})

    outcome = update_contacts(client, inputs)

    assert len(outcome.written) == 6
    assert [rejected.input[0] for rejected in outcome.rejected] == [ids[3]]


def test_list_pages_follow_the_cursor(client: HubSpotClient) -> None:
    """Listing five contacts two at a time asks for each page with the previous page's cursor."""
    created = create_contacts(
        client,
        [ContactCreate({"email": f"p{n}@example.com"}, object_write_trace_id=str(n)) for n in range(5)],
    )
    pages = list(client.iter_contacts(["email"], page_size=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(c.id for page in pages for c in page) == sorted(c.id for c in created.written)
