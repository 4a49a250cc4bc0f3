"""The shared writer: creates, adoptions, drift updates and 409 conflicts against the sandbox HubSpot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from tasks.hubspot.client import HubSpotAuth, HubSpotClient
from tasks.rules.config import ShopsyncConfig
from tasks.rules.frames import EXPECTED_SCHEMA
from tasks.setup.hubspot_properties import ensure_properties
from tasks.sync.steps import write_customers
from tests.sandbox.hubspot_sandbox import TOKEN, Sandbox, make_sandbox

CONFIG = ShopsyncConfig()


def _expected(*rows: tuple[int, str | None, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "customer_id": customer_id,
                "email": email,
                "total_spent": Decimal(total),
                "order_count": count,
                "first_order_date": date(2026, 11, 1) if count else None,
                "last_order_date": date(2026, 11, 20) if count else None,
                "last_order_number": "#1001" if count else None,
                "currency": "USD",
            }
            for customer_id, email, total, count in rows
        ],
        schema=EXPECTED_SCHEMA,
    )


@pytest.fixture
def portal() -> tuple[Sandbox, HubSpotClient]:
    sandbox = make_sandbox()
    sandbox.client.auth = HubSpotAuth(TOKEN)
    client = HubSpotClient(sandbox.client)
    ensure_properties(client, CONFIG)
    return sandbox, client


def _by_customer(sandbox: Sandbox, customer_id: int) -> list[dict[str, str | None]]:
    return [
        dict(c.properties)
        for c in sandbox.store.contacts()
        if c.properties.get("shopify_customer_id") == str(customer_id)
    ]


def test_a_new_customer_is_created_with_every_purchase_property(portal) -> None:
    """A customer without a contact gets one, carrying the id, the total and the dates."""
    sandbox, client = portal
    report, _ = write_customers(client, _expected((9007199254740993, "new@example.com", "120.50", 2)), CONFIG)

    assert [o.action for o in report.outcomes] == ["created"]
    (contact,) = _by_customer(sandbox, 9007199254740993)
    assert Decimal(contact["shopify_total_spent"] or "") == Decimal("120.50")
    assert contact["shopify_order_count"] == "2"
    assert contact["shopify_last_order_date"] == "2026-11-20"
    assert contact["email"] == "new@example.com"


def test_an_existing_contact_is_adopted_by_email_not_duplicated(portal) -> None:
    """A contact created by hand with the customer's email (other case) is stamped, not duplicated."""
    sandbox, client = portal
    sandbox.create(email="Jane.Doe@Example.com", firstname="Jane")
    report, _ = write_customers(client, _expected((42, "jane.doe@example.com", "10.00", 1)), CONFIG)

    assert [o.action for o in report.outcomes] == ["adopted"]
    assert len(sandbox.store.contacts()) == 1
    (contact,) = _by_customer(sandbox, 42)
    assert contact["firstname"] == "Jane"


def test_an_additional_email_conflict_turns_into_an_update_of_that_contact(portal) -> None:
    """409 'Existing ID' on create (the email is another contact's additional email) adopts that contact."""
    sandbox, client = portal
    owner = sandbox.create(email="primary@example.com", hs_additional_emails="old@example.com")
    report, _ = write_customers(client, _expected((43, "old@example.com", "15.00", 1)), CONFIG)

    assert [(o.action, o.contact_id) for o in report.outcomes] == [("adopted", owner["id"])]
    assert len(sandbox.store.contacts()) == 1
    assert _by_customer(sandbox, 43)[0]["shopify_total_spent"] is not None


def test_only_changed_properties_are_written_and_a_rerun_writes_nothing(portal) -> None:
    """Drift in one property is corrected; the same expected values a second time change nothing."""
    sandbox, client = portal
    write_customers(client, _expected((44, "a@example.com", "30.00", 3)), CONFIG)
    (contact,) = [c for c in sandbox.store.contacts()]
    sandbox.client.patch(
        f"/_sandbox/contacts/{contact.id}", json={"properties": {"shopify_total_spent": "99"}}
    )

    report, _ = write_customers(client, _expected((44, "a@example.com", "30.00", 3)), CONFIG)
    assert [o.action for o in report.outcomes] == ["updated"]
    assert Decimal(_by_customer(sandbox, 44)[0]["shopify_total_spent"] or "") == Decimal("30.00")

    again, unchanged = write_customers(client, _expected((44, "a@example.com", "30.00", 3)), CONFIG)
    assert again.outcomes == []
    assert unchanged == 1


def test_one_bad_customer_fails_alone(portal) -> None:
    """Two customers claiming one email: one contact is written, the other fails with the reason."""
    sandbox, client = portal
    report, _ = write_customers(
        client,
        _expected((50, "shared@example.com", "5.00", 1), (51, "shared@example.com", "6.00", 1)),
        CONFIG,
    )
    outcomes = {o.customer_id: o for o in report.outcomes}
    assert outcomes[50].action == "created"
    assert outcomes[51].action == "failed"
    assert "cannot be changed" in (outcomes[51].reason or "")
    assert len(_by_customer(sandbox, 50)) == 1 and _by_customer(sandbox, 51) == []
