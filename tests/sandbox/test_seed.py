"""The generated store: deterministic, Shopify-shaped, and full of the edge cases shopsync must get right."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sandbox.expected import expected_customers
from sandbox.seed import SEED_DEFAULTS, SeedData, customer_by_id, generate_store, order_by_id


@pytest.fixture(scope="module")
def store() -> SeedData:
    return generate_store()


def _shop(money_set: dict[str, Any]) -> Decimal:
    return Decimal(money_set["shop_money"]["amount"])


def _presentment(money_set: dict[str, Any]) -> Decimal:
    return Decimal(money_set["presentment_money"]["amount"])


def _emails(store: SeedData) -> dict[str, dict[str, Any]]:
    return {c["email"].strip().lower(): c for c in store.customers if c["email"]}


def test_same_seed_gives_the_same_store_and_another_seed_a_different_one():
    """Two runs with one seed agree byte for byte; a different seed changes the data."""
    first, second = generate_store(seed=11), generate_store(seed=11)
    assert first == second
    assert json.dumps(first.orders) == json.dumps(second.orders)
    other = generate_store(seed=12)
    assert [o["id"] for o in other.orders] != [o["id"] for o in first.orders]
    assert json.dumps(other.orders) != json.dumps(first.orders)


def test_defaults_are_the_documented_ones(store):
    """Without arguments the store has SEED_DEFAULTS' sizes and the demo shop."""
    assert len(store.customers) == SEED_DEFAULTS.customers
    assert len(store.orders) == SEED_DEFAULTS.orders
    assert store.shop.domain == "shopsync-demo.myshopify.com"
    assert (store.shop.currency, store.shop.iana_timezone) == ("USD", "America/New_York")


def test_ids_are_int64_above_2_53_and_survive_a_json_round_trip(store):
    """Order, customer, line item and product ids exceed 2**53 and come back from JSON digit for digit."""
    ids = [o["id"] for o in store.orders] + [c["id"] for c in store.customers]
    ids += [p["id"] for p in store.products]
    ids += [li["id"] for o in store.orders for li in o["line_items"]]
    ids += [li["product_id"] for o in store.orders for li in o["line_items"] if li["product_id"]]
    assert all(2**53 < i < 2**63 for i in ids)
    assert any(int(float(i)) != i for i in ids), "ids should be ones a float cannot hold"
    round_tripped = json.loads(json.dumps(store.orders))
    assert [o["id"] for o in round_tripped] == [o["id"] for o in store.orders]
    assert round_tripped == store.orders
    assert all(o["admin_graphql_api_id"] == f"gid://shopify/Order/{o['id']}" for o in store.orders)


def test_money_is_two_decimal_strings_and_current_total_is_total_minus_refunds(store):
    """Every price is a 2 dp string; current totals are the totals less what the refunds gave back."""
    for order in store.orders:
        for key in ("total_price", "current_total_price", "subtotal_price", "total_tax"):
            assert isinstance(order[key], str)
            assert Decimal(order[key]).as_tuple().exponent == -2
        refund_lines = [rli for r in order["refunds"] for rli in r["refund_line_items"]]
        shipping = [s for r in order["refunds"] for s in r["refund_shipping_lines"]]
        refunded_shop = sum(
            (_shop(x["subtotal_set"]) + _shop(x["total_tax_set"]) for x in refund_lines), Decimal(0)
        )
        refunded_shop += sum((_shop(s["subtotal_amount_set"]) for s in shipping), Decimal(0))
        total, current = order["total_price_set"], order["current_total_price_set"]
        assert _shop(current) == _shop(total) - refunded_shop
        assert Decimal(order["current_total_price"]) == _shop(current)
        paid_back = sum(Decimal(t["amount"]) for r in order["refunds"] for t in r["transactions"])
        assert _presentment(current) == _presentment(total) - paid_back
        assert _shop(current) >= 0


def test_partial_and_full_refunds_are_present(store):
    """Some orders are partially refunded (net > 0) and some fully (net 0), with REST refund details."""
    partial = [o for o in store.orders if o["financial_status"] == "partially_refunded"]
    full = [o for o in store.orders if o["financial_status"] == "refunded"]
    assert partial and full
    for order in partial + full:
        refund = order["refunds"][-1]
        assert refund["refund_line_items"] and refund["transactions"]
        assert refund["order_id"] == order["id"]
        assert refund["transactions"][0]["kind"] == "refund"
    assert all(0 < Decimal(o["current_total_price"]) < Decimal(o["total_price"]) for o in partial)
    assert all(Decimal(o["current_total_price"]) == 0 for o in full)


def test_cancelled_orders_come_voided_refunded_and_still_paid(store):
    """Cancelled orders carry cancelled_at and a reason; their status is voided, refunded or still paid."""
    cancelled = [o for o in store.orders if o["cancelled_at"]]
    assert all(o["cancel_reason"] for o in cancelled)
    assert {"voided", "refunded", "paid"} <= {o["financial_status"] for o in cancelled}


def test_test_pending_and_authorized_orders_are_present(store):
    """Test orders and orders not (yet) paid exist alongside paid ones."""
    statuses = Counter(o["financial_status"] for o in store.orders)
    assert statuses["pending"] and statuses["authorized"] and statuses["paid"]
    assert any(o["test"] is True for o in store.orders)


def test_multi_currency_orders_keep_shop_money_in_usd(store):
    """EUR and GBP presentment orders have presentment amounts differing from the USD shop amounts."""
    foreign = [o for o in store.orders if o["presentment_currency"] != "USD"]
    assert {"EUR", "GBP"} <= {o["presentment_currency"] for o in foreign}
    for order in foreign:
        money = order["total_price_set"]
        assert money["shop_money"]["currency_code"] == "USD" == order["currency"]
        assert money["presentment_money"]["currency_code"] == order["presentment_currency"]
        assert _presentment(money) != _shop(money)
    assert any(o["refunds"] for o in foreign)


def test_pos_guest_and_emailless_orders(store):
    """POS orders may lack customer and email; guest checkouts have an email but no customer."""
    pos = [o for o in store.orders if o["source_name"] == "pos"]
    assert any(o["customer"] is None and not o["email"] and not o["contact_email"] for o in pos)
    assert any(o["customer"] is not None and not o["customer"]["email"] and not o["email"] for o in pos)
    assert any(o["customer"] is None and o["email"] for o in store.orders)


def test_customer_emails_come_in_mixed_case_and_with_whitespace(store):
    """Some stored emails have capitals, some stray whitespace; all are unique ignoring both."""
    emails = [c["email"] for c in store.customers if c["email"]]
    assert any(e.strip() != e.strip().lower() for e in emails)
    assert any(e != e.strip() for e in emails)
    assert len({e.strip().lower() for e in emails}) == len(emails)


def test_products_with_and_without_type_and_deleted_products_on_lines(store):
    """Product types may be "" like Shopify's; some line items point at deleted products (product_id null)."""
    types = [p["product_type"] for p in store.products]
    assert "" in types and any(types)
    lines = [li for o in store.orders for li in o["line_items"]]
    assert any(li["product_id"] is None and li["product_exists"] is False for li in lines)
    known = {p["id"] for p in store.products}
    assert all(li["product_id"] in known for li in lines if li["product_id"] is not None)


def test_tags_on_orders_and_customers(store):
    """Orders and customers carry comma-separated tag strings."""
    assert any("," in o["tags"] for o in store.orders)
    assert any(c["tags"] for c in store.customers)
    assert any(o["customer"] and o["customer"]["tags"] for o in store.orders)


def test_an_order_near_midnight_falls_on_the_next_day_in_utc(store):
    """Some order's shop-local processed date differs from its UTC date (e.g. 23:30 -05:00)."""
    for order in store.orders:
        local = datetime.fromisoformat(order["processed_at"])
        assert local.utcoffset() is not None
        if local.date() != local.astimezone(UTC).date() and local.hour == 23:
            return
    pytest.fail("no order processed late in the shop's evening")


def test_timestamps_carry_the_shop_offset_and_lie_before_now():
    """processed/updated/created times use New York offsets (EST and EDT) and precede the given now."""
    now = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    orders = generate_store(now=now).orders
    offsets = set()
    for order in orders:
        for key in ("processed_at", "created_at", "updated_at"):
            moment = datetime.fromisoformat(order[key])
            offsets.add(moment.isoformat()[-6:])
            assert moment <= now
        assert datetime.fromisoformat(order["updated_at"]) >= datetime.fromisoformat(order["processed_at"])
    assert offsets == {"-04:00", "-05:00"}


def test_customers_have_several_orders(store):
    """Repeat buyers exist, and orders are numbered in processed order."""
    per_customer = Counter(o["customer"]["id"] for o in store.orders if o["customer"])
    assert max(per_customer.values()) >= 3
    moments = [datetime.fromisoformat(o["processed_at"]) for o in store.orders]
    assert moments == sorted(moments)
    assert [o["name"] for o in store.orders][:2] == ["#1001", "#1002"]


def test_hubspot_contacts_match_customers_only_by_case_insensitive_email(store):
    """Pre-existing contacts share a customer's email in another case and have no shopify_customer_id."""
    by_email = _emails(store)
    matched = [c for c in store.hubspot_contacts if c.properties["email"].lower() in by_email]
    assert matched
    assert all("shopify_customer_id" not in c.properties for c in store.hubspot_contacts)
    for contact in matched:
        assert contact.properties["email"] != by_email[contact.properties["email"].lower()]["email"]


def test_a_contact_holds_a_customer_email_only_among_additional_emails(store):
    """One contact's primary email is unknown to Shopify but its hs_additional_emails holds a customer's."""
    by_email = _emails(store)
    hits = [
        c
        for c in store.hubspot_contacts
        if c.properties["email"].lower() not in by_email
        and any(e in by_email for e in c.properties.get("hs_additional_emails", "").split(";"))
    ]
    assert hits


def test_merged_contacts_and_unrelated_contacts(store):
    """A contact is marked merged into another existing one; some contacts match nothing in the shop."""
    contacts = store.hubspot_contacts
    merged = [c for c in contacts if c.merged_into is not None]
    assert merged
    assert all(0 <= c.merged_into < len(contacts) and contacts[c.merged_into] is not c for c in merged)
    by_email = _emails(store)
    guests = {o["email"].strip().lower() for o in store.orders if o["customer"] is None and o["email"]}
    assert any(
        c.properties["email"] not in by_email and c.properties["email"] not in guests for c in contacts
    )


def test_contact_emails_are_unique_like_hubspot_requires(store):
    """No two contacts share an email, primary or additional, ignoring case (HubSpot would reject them)."""
    addresses = []
    for contact in store.hubspot_contacts:
        addresses.append(contact.properties["email"].lower())
        extra = contact.properties.get("hs_additional_emails")
        addresses += [e.lower() for e in extra.split(";")] if extra else []
        assert all(isinstance(v, str) for v in contact.properties.values())
    assert len(addresses) == len(set(addresses))


def test_drift_notes_name_seeded_orders(store):
    """The drift list describes seeded cases in words, naming real order numbers."""
    names = {o["name"] for o in store.orders}
    assert store.drift and all(isinstance(line, str) and line for line in store.drift)
    assert any(line.split(":")[0] in names for line in store.drift)


def test_lookup_helpers_find_records_and_reject_unknown_ids(store):
    """order_by_id and customer_by_id return the seeded record and raise KeyError for unknown ids."""
    order = store.orders[5]
    assert order_by_id(store, order["id"]) is order
    customer = store.customers[3]
    assert customer_by_id(store, customer["id"]) is customer
    with pytest.raises(KeyError):
        order_by_id(store, 1)


def test_small_stores_and_invalid_arguments():
    """Tiny stores still generate; a naive now or no customers is refused."""
    tiny = generate_store(customers=3, orders=5)
    assert len(tiny.orders) == 5 and len(tiny.customers) == 3
    big = generate_store(customers=60, orders=400)
    assert len({o["id"] for o in big.orders}) == 400
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_store(now=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        generate_store(customers=0)


def test_some_customers_never_bought_and_some_bought_nothing_that_counts(store):
    """A customer without orders exists, and one whose every order is cancelled or unpaid."""
    buyers = {o["customer"]["id"] for o in store.orders if o["customer"]}
    assert any(c["id"] not in buyers for c in store.customers)
    expected = expected_customers(store.orders)
    assert any(e.order_count == 0 and e.total_spent == 0 for e in expected.values())
