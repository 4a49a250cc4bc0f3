"""diff_contacts: creates, adoptions, per-property drift, orphans, duplicates and unchanged contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tasks.contacts.diff import CHANGES_SCHEMA, ORPHANS_SCHEMA, diff_contacts, wire_properties
from tasks.contacts.matching import DUPLICATES_SCHEMA
from tasks.rules.config import PropertiesConfig
from tasks.rules.frames import CONTACTS_SCHEMA, EXPECTED_SCHEMA, contacts_frame

DAY = date(2026, 3, 1)
PAID_AT = datetime(2026, 3, 1, 15, 30, 2, 5_000, tzinfo=UTC)
PURCHASES = {
    "total_spent": Decimal("10.50"),
    "order_count": 1,
    "first_order_date": DAY,
    "last_order_date": DAY,
    "last_order_number": "#1001",
    "last_order_at": PAID_AT,
    "currency": "USD",
}
NO_PURCHASES = {**PURCHASES, "total_spent": Decimal("0"), "order_count": 0, "first_order_date": None}
NO_PURCHASES |= {"last_order_date": None, "last_order_number": None, "last_order_at": None}


def expected(*rows: dict[str, Any]) -> pl.DataFrame:
    """EXPECTED_SCHEMA rows: customer 1, ada@example.com, one order of 10.50 unless overridden."""
    defaults = {"customer_id": 1, "email": "ada@example.com", **PURCHASES}
    return pl.DataFrame([{**defaults, **row} for row in rows], schema=EXPECTED_SCHEMA)


def contacts(*rows: dict[str, Any]) -> pl.DataFrame:
    """CONTACTS_SCHEMA rows: contact "101" carrying customer 1 in sync with `expected()` unless overridden."""
    defaults = {"contact_id": "101", "shopify_customer_id": 1, "email": "ada@example.com", **PURCHASES}
    return pl.DataFrame(
        [{"additional_emails": [], **defaults, **row} for row in rows], schema=CONTACTS_SCHEMA
    )


def changes(*rows: tuple[str, int, str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CHANGES_SCHEMA, orient="row")


@dataclass(frozen=True)
class WireContact:
    id: str
    properties: dict[str, str | None] = field(default_factory=dict)


def test_contacts_already_in_sync_are_unchanged():
    """Matching values produce no writes, only an unchanged count."""
    diff = diff_contacts(
        expected({}, {"customer_id": 2}),
        contacts({}, {"contact_id": "102", "shopify_customer_id": 2}),
        orphan_policy="reset",
    )
    assert (diff.unchanged, diff.matched, diff.drift_share) == (2, 2, 0.0)
    assert diff.updates.is_empty() and diff.creates.is_empty() and diff.adoptions.is_empty()


def test_money_compares_as_decimal_from_wire_strings():
    """HubSpot's "10.5" equals our 10.50, a date echoed as epoch ms equals the same day, and a datetime
    echoed with an offset equals the same instant."""
    wire = WireContact(
        "101",
        {
            "shopify_customer_id": "1",
            "email": "ada@example.com",
            "shopify_total_spent": "10.5",
            "shopify_order_count": "1",
            "shopify_first_order_date": "2026-03-01",
            "shopify_last_order_date": "1772323200000",
            "shopify_last_order_number": "#1001",
            "shopify_last_order_paid_at": "2026-03-01T10:30:02.005-05:00",
            "shopify_currency": "USD",
        },
    )
    diff = diff_contacts(expected({}), contacts_frame([wire], PropertiesConfig()), orphan_policy="reset")
    assert diff.unchanged == 1
    assert_frame_equal(diff.updates, changes())


def test_drift_is_reported_per_property_old_to_new():
    """Only the properties that differ are listed, each with HubSpot's old and our new string value."""
    stale = {"total_spent": Decimal("10.49"), "last_order_date": date(2026, 2, 28), "currency": None}
    diff = diff_contacts(expected({}), contacts(stale), orphan_policy="reset")
    assert_frame_equal(
        diff.updates,
        changes(
            ("101", 1, "shopify_total_spent", "10.49", "10.50"),
            ("101", 1, "shopify_last_order_date", "2026-02-28", "2026-03-01"),
            ("101", 1, "shopify_currency", None, "USD"),
        ),
    )


def test_wide_updates_leave_unchanged_properties_null_and_clear_with_empty_string():
    """The batch form sends changed values only; an expected empty value is "" so HubSpot clears it."""
    stale = {"last_order_number": "#0999", "order_count": None}
    diff = diff_contacts(expected({"last_order_number": None}), contacts(stale), orphan_policy="reset")
    row = diff.updates_wide.row(0, named=True)
    assert row == {
        "contact_id": "101",
        "customer_id": 1,
        "shopify_total_spent": None,
        "shopify_order_count": "1",
        "shopify_first_order_date": None,
        "shopify_last_order_date": None,
        "shopify_last_order_number": "",
        "shopify_last_order_paid_at": None,
        "shopify_currency": None,
    }
    assert diff.drift_share == 1.0


def test_configured_property_names_label_the_changes():
    """Renamed HubSpot properties appear in both update forms."""
    diff = diff_contacts(
        expected({}),
        contacts({"order_count": 4}),
        orphan_policy="reset",
        properties=PropertiesConfig(order_count="orders_in_shop"),
    )
    assert_frame_equal(diff.updates, changes(("101", 1, "orders_in_shop", "4", "1")))
    assert diff.updates_wide.columns[3] == "orders_in_shop"


def test_customers_without_contact_are_created_unless_nothing_qualifies():
    """A buyer with qualifying orders and no contact is created; one with none is not created at all."""
    frame = expected({"customer_id": 5, "email": "new@example.com"}, {"customer_id": 6, **NO_PURCHASES})
    diff = diff_contacts(frame, contacts(), orphan_policy="reset")
    assert_frame_equal(diff.creates, expected({"customer_id": 5, "email": "new@example.com"}))


@pytest.mark.parametrize(
    ("contact", "matched_on"),
    [
        ({"email": "ada@example.com"}, "email"),
        ({"email": "Ada.Work@Example.com", "additional_emails": ["ADA@example.com"]}, "additional_email"),
    ],
)
def test_contacts_without_shopify_id_are_adopted_by_email(contact: dict[str, Any], matched_on: str):
    """A contact with no Shopify id whose primary or additional email matches is adopted, not duplicated."""
    diff = diff_contacts(
        expected({}),
        contacts({"shopify_customer_id": None, "total_spent": None, **contact}),
        orphan_policy="reset",
    )
    assert diff.creates.is_empty()
    assert diff.adoptions.select("contact_id", "matched_on", "customer_id", "total_spent").row(0) == (
        "101",
        matched_on,
        1,
        Decimal("10.50"),
    )
    assert "email" not in diff.adoptions.columns  # adopting never rewrites the contact's primary email


def test_primary_email_match_beats_additional_and_owned_contacts_are_not_adopted():
    """A primary-email match wins; a contact already carrying another Shopify id is never adopted."""
    frame = expected({}, {"customer_id": 2, "email": "bo@example.com"})
    hubspot = contacts(
        {
            "contact_id": "201",
            "shopify_customer_id": None,
            "email": "x@example.com",
            "additional_emails": ["ada@example.com"],
        },
        {"contact_id": "202", "shopify_customer_id": None, "email": "ada@example.com"},
        {"contact_id": "203", "shopify_customer_id": 9, "email": "bo@example.com"},
    )
    diff = diff_contacts(frame, hubspot, orphan_policy="report")
    assert diff.adoptions.select("contact_id", "customer_id").rows() == [("202", 1)]
    assert diff.creates["customer_id"].to_list() == [2]


def test_orphans_are_reset_under_the_reset_policy():
    """A contact whose customer has no qualifying order (or no order left) is reset to 0 / 0 / empty."""
    frame = expected({**NO_PURCHASES})
    hubspot = contacts({}, {"contact_id": "102", "shopify_customer_id": 8, "currency": "EUR"})
    diff = diff_contacts(frame, hubspot, orphan_policy="reset")
    assert_frame_equal(
        diff.orphans,
        pl.DataFrame(
            [("101", 1, Decimal("10.50"), 1), ("102", 8, Decimal("10.50"), 1)],
            schema=ORPHANS_SCHEMA,
            orient="row",
        ),
    )
    reset = [
        ("shopify_total_spent", "10.50", "0.00"),
        ("shopify_order_count", "1", "0"),
        ("shopify_first_order_date", "2026-03-01", None),
        ("shopify_last_order_date", "2026-03-01", None),
        ("shopify_last_order_number", "#1001", None),
    ]
    expected_changes = [
        (cid, customer, *change) for cid, customer in (("101", 1), ("102", 8)) for change in reset
    ]
    assert_frame_equal(diff.updates, changes(*expected_changes))
    assert diff.updates_wide.height == 2


def test_orphans_are_only_listed_under_the_report_policy():
    """Under "report" orphans are listed but not written; already-reset contacts are not orphans."""
    frame = expected({**NO_PURCHASES}, {"customer_id": 2, **NO_PURCHASES})
    hubspot = contacts({}, {"contact_id": "102", "shopify_customer_id": 2, **NO_PURCHASES})
    diff = diff_contacts(frame, hubspot, orphan_policy="report")
    assert diff.orphans["contact_id"].to_list() == ["101"]
    assert diff.updates.is_empty() and diff.updates_wide.is_empty()
    assert diff.unchanged == 1


def test_duplicate_contacts_for_one_customer_are_reported_and_the_lowest_id_is_kept():
    """Several contacts with one Shopify id: the numerically lowest id is the target, the rest reported."""
    hubspot = contacts(
        {"contact_id": "10", "total_spent": Decimal("1.00")},
        {"contact_id": "9", "total_spent": Decimal("2.00")},
        {"contact_id": "100"},
    )
    diff = diff_contacts(expected({}), hubspot, orphan_policy="reset")
    assert_frame_equal(
        diff.duplicates,
        pl.DataFrame([(1, "10", "9"), (1, "100", "9")], schema=DUPLICATES_SCHEMA, orient="row"),
    )
    assert_frame_equal(diff.updates, changes(("9", 1, "shopify_total_spent", "2.00", "10.50")))
    assert diff.matched == 1


def test_empty_inputs_give_typed_empty_results():
    """Nothing on either side still yields frames with their documented schemas."""
    diff = diff_contacts(expected(), contacts(), orphan_policy="reset")
    assert diff.creates.schema == EXPECTED_SCHEMA
    assert diff.updates.schema == CHANGES_SCHEMA
    assert diff.orphans.schema == ORPHANS_SCHEMA
    assert diff.duplicates.schema == DUPLICATES_SCHEMA
    assert diff.updates_wide.columns[:2] == ["contact_id", "customer_id"]
    assert (diff.unchanged, diff.matched, diff.drift_share) == (0, 0, 0.0)


def test_mapped_columns_present_on_both_sides_are_compared():
    """An extra mapped property drifts like the built-in ones, under its own property name."""
    frame = expected({}).with_columns(last_source=pl.lit("web"))
    hubspot = contacts({}).with_columns(last_source=pl.lit("pos"))
    diff = diff_contacts(frame, hubspot, orphan_policy="reset")
    assert_frame_equal(diff.updates, changes(("101", 1, "last_source", "pos", "web")))


def test_create_and_adoption_payloads_are_hubspot_strings():
    """Creates carry the Shopify id and email; adoptions stamp the id, clear empties, keep the email."""
    frame = expected(
        {"customer_id": 2**53 + 1, "email": "new@example.com"},
        {"customer_id": 3, "email": "old@example.com", **NO_PURCHASES, "order_count": 1},
    )
    hubspot = contacts({"contact_id": "7", "shopify_customer_id": None, "email": "old@example.com"})
    diff = diff_contacts(frame, hubspot, orphan_policy="reset")
    assert wire_properties(diff.creates).row(0, named=True) == {
        "shopify_customer_id": "9007199254740993",
        "email": "new@example.com",
        "shopify_total_spent": "10.50",
        "shopify_order_count": "1",
        "shopify_first_order_date": "2026-03-01",
        "shopify_last_order_date": "2026-03-01",
        "shopify_last_order_number": "#1001",
        "shopify_last_order_paid_at": "2026-03-01T15:30:02.005Z",
        "shopify_currency": "USD",
    }
    assert wire_properties(diff.adoptions).row(0, named=True) == {
        "contact_id": "7",
        "matched_on": "email",
        "shopify_customer_id": "3",
        "shopify_total_spent": "0.00",
        "shopify_order_count": "1",
        "shopify_first_order_date": "",
        "shopify_last_order_date": "",
        "shopify_last_order_number": "",
        "shopify_last_order_paid_at": "",
        "shopify_currency": "USD",
    }


def test_the_trigger_moves_forward_only_when_a_newer_order_arrives():
    """A newer order moves the trigger; a refund or cancel of the newest order (an older expected instant)
    neither moves it back nor clears it; a contact that never had one gets it."""
    later = PAID_AT + timedelta(days=3)
    diff = diff_contacts(
        expected(
            {"customer_id": 1, "last_order_at": later},
            {"customer_id": 2, "last_order_at": PAID_AT - timedelta(days=9)},
            {"customer_id": 3, **NO_PURCHASES},
            {"customer_id": 4},
        ),
        contacts(
            {"contact_id": "101", "shopify_customer_id": 1},
            {"contact_id": "102", "shopify_customer_id": 2},
            {"contact_id": "103", "shopify_customer_id": 3, "total_spent": Decimal("10.50")},
            {"contact_id": "104", "shopify_customer_id": 4, "last_order_at": None},
        ),
        orphan_policy="reset",
    )
    trigger = diff.updates.filter(pl.col("property") == "shopify_last_order_paid_at")
    assert_frame_equal(
        trigger,
        changes(
            ("101", 1, "shopify_last_order_paid_at", "2026-03-01T15:30:02.005Z", "2026-03-04T15:30:02.005Z"),
            ("104", 4, "shopify_last_order_paid_at", None, "2026-03-01T15:30:02.005Z"),
        ),
    )
    assert set(diff.updates.filter(pl.col("contact_id") == "103")["property"]) == {
        "shopify_total_spent", "shopify_order_count", "shopify_first_order_date", "shopify_last_order_date",
        "shopify_last_order_number",
    }  # fmt: skip
    assert "102" not in diff.updates_wide["contact_id"].to_list()
