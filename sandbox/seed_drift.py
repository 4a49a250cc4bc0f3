"""HubSpot as an earlier shopsync sync left it, with the drift the nightly reconciliation must repair.

Most customers who bought something get a contact carrying the right `shopify_*` values (computed by the
independent oracle in `sandbox.expected`). A few are wrong on purpose, each for a cause a real portal sees:

- manual edit: someone typed another total into the contact after the last sync;
- refund after sync: the contact was written before a refund and the `refunds/create` webhook never arrived;
- missed webhook: a customer with qualifying orders has no contact at all;
- orphan: a contact carries a Shopify id whose orders were all refunded or cancelled after it was written.

Customers who already have a contact by email (see `sandbox.seed_contacts`) are left alone: they are the
"exists only by email" cases. Selection is by ascending customer id, so a seed always gives the same drift.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.expected import ExpectedCustomer, expected_customers, is_qualifying
from sandbox.seed_models import SeedContact

Order = dict[str, Any]
MANUAL_EDIT_DELTA = Decimal("250.00")
_SYNC_LAG = timedelta(minutes=3)
# (customer, their orders, the oracle, now) → (contact properties, drift note) or None for no contact.
_Builder = Callable[
    [dict[str, Any], list[Order], Mapping[int, ExpectedCustomer], datetime],
    tuple[dict[str, str], str | None] | None,
]


def build_synced_contacts(
    customers: list[dict[str, Any]], orders: list[Order], existing: list[SeedContact], now: datetime
) -> tuple[list[SeedContact], list[str]]:
    """Contacts shopsync wrote earlier (all strings, as HubSpot stores them) and one drift note per wrong one.

    Args:
        customers: The store's customers.
        orders: The store's REST orders.
        existing: Contacts that predate shopsync; their customers get no synced contact.
        now: The store's present; every `lastmodifieddate` lies before it.

    Returns:
        (contacts, notes).
    """
    history = _orders_by_customer(orders)
    taken = {email for contact in existing for email in _emails_of(contact.properties)}
    candidates = sorted(
        (c for c in customers if _free(c, taken) and c["id"] in history), key=lambda customer: customer["id"]
    )
    oracle = expected_customers(orders)
    cases = _pick_cases(candidates, history, oracle)
    contacts: list[SeedContact] = []
    notes: list[str] = []
    for customer in candidates:
        case = cases.get(customer["id"])
        built = _CASE_BUILDERS.get(case or "", _synced)(customer, history[customer["id"]], oracle, now)
        if built is None:
            continue
        properties, note = built
        contacts.append(SeedContact(properties))
        if note:
            notes.append(note)
    missed = next((cid for cid, case in cases.items() if case == "missed_webhook"), None)
    if missed is not None:
        notes.append(f"Shopify customer {missed} bought, but the webhook was missed: HubSpot has no contact")
    return contacts, notes


def _pick_cases(
    candidates: list[dict[str, Any]],
    history: Mapping[int, list[Order]],
    oracle: Mapping[int, ExpectedCustomer],
) -> dict[int, str]:
    """Customer id → drift case; each case goes to the first customer (by id) that fits its first test."""
    tests: list[tuple[str, Callable[[list[Order], ExpectedCustomer], bool]]] = [
        # An orphan is best a customer whose orders were all refunded or cancelled; else one never paid.
        ("orphan", lambda orders, expected: expected.order_count == 0 and any(map(_undone, orders))),
        ("orphan", lambda orders, expected: expected.order_count == 0),
        ("refund_after_sync", lambda orders, expected: _latest_change_is_partial_refund(orders)),
        ("manual_edit", _bought_without_refunds),
        ("missed_webhook", _bought_without_refunds),
    ]
    cases: dict[int, str] = {}
    for case, fits in tests:
        if case in cases.values():
            continue
        for customer in candidates:
            customer_id = customer["id"]
            if customer_id not in cases and fits(history[customer_id], oracle[customer_id]):
                cases[customer_id] = case
                break
    return cases


def _bought_without_refunds(orders: list[Order], expected: ExpectedCustomer) -> bool:
    """A qualifying history and no refund anywhere, so a cause hint cannot blame a refund."""
    return expected.order_count > 0 and not any(map(_refunded, orders))


def _synced(
    customer: dict[str, Any], orders: list[Order], oracle: Mapping[int, ExpectedCustomer], now: datetime
) -> tuple[dict[str, str], str | None] | None:
    """A correctly synced contact, written a few minutes after the customer's last order change."""
    expected = oracle[customer["id"]]
    if expected.order_count == 0:
        return None  # never qualified: shopsync never created a contact
    return _contact(customer, expected, _last_change(orders) + _SYNC_LAG), None


def _manual_edit(
    customer: dict[str, Any], orders: list[Order], oracle: Mapping[int, ExpectedCustomer], now: datetime
) -> tuple[dict[str, str], str | None]:
    expected = oracle[customer["id"]]
    # Edited an hour after the last sync, so no order change is newer than the edit.
    properties = _contact(customer, expected, min(_last_change(orders) + timedelta(hours=1), now))
    edited = expected.total_spent + MANUAL_EDIT_DELTA
    properties["shopify_total_spent"] = str(edited)
    note = (
        f"HubSpot total of Shopify customer {customer['id']} was edited by hand to {edited} "
        f"(true: {expected.total_spent})"
    )
    return properties, note


def _refund_after_sync(
    customer: dict[str, Any], orders: list[Order], oracle: Mapping[int, ExpectedCustomer], now: datetime
) -> tuple[dict[str, str], str | None]:
    refunded = max(orders, key=_updated_at)
    before_refund = [_without_refunds(order) if order is refunded else order for order in orders]
    stale = expected_customers(before_refund)[customer["id"]]
    written = _moment(refunded["processed_at"]) + _SYNC_LAG
    note = (
        f"{refunded['name']} was refunded after the last sync and refunds/create was missed: HubSpot says "
        f"{stale.total_spent}, true total {oracle[customer['id']].total_spent}"
    )
    return _contact(customer, stale, written), note


def _orphan(
    customer: dict[str, Any], orders: list[Order], oracle: Mapping[int, ExpectedCustomer], now: datetime
) -> tuple[dict[str, str], str | None]:
    # Written when the orders were paid; refunded, cancelled or voided since (the unpaid ones restored too).
    stale = expected_customers([_without_refunds(order) for order in orders])[customer["id"]]
    written = min(_moment(order["processed_at"]) for order in orders) + _SYNC_LAG
    note = (
        f"HubSpot still counts {stale.order_count} order(s) for Shopify customer {customer['id']}, "
        "none of which qualifies any more: an orphan to reset"
    )
    return _contact(customer, stale, written), note


def _missed_webhook(
    customer: dict[str, Any], orders: list[Order], oracle: Mapping[int, ExpectedCustomer], now: datetime
) -> None:
    return None


_CASE_BUILDERS: dict[str, _Builder] = {
    "manual_edit": _manual_edit,
    "refund_after_sync": _refund_after_sync,
    "orphan": _orphan,
    "missed_webhook": _missed_webhook,
}


def _contact(customer: dict[str, Any], values: ExpectedCustomer, written: datetime) -> dict[str, str]:
    """HubSpot wire strings of a contact shopsync wrote at `written` (empty values are simply absent)."""
    properties = {
        "email": customer["email"].strip().lower(),
        "firstname": customer["first_name"],
        "lastname": customer["last_name"],
        "shopify_customer_id": str(customer["id"]),
        "shopify_total_spent": str(values.total_spent),
        "shopify_order_count": str(values.order_count),
        "shopify_first_order_date": values.first_order_date.isoformat() if values.first_order_date else "",
        "shopify_last_order_date": values.last_order_date.isoformat() if values.last_order_date else "",
        "shopify_last_order_number": values.last_order_number or "",
        "shopify_currency": values.currency,
        "shopify_last_order_paid_at": _iso_millis(values.last_order_at) if values.last_order_at else "",
        "shopify_last_write_source": "realtime",
        "lastmodifieddate": _iso_millis(written),
    }
    return {name: value for name, value in properties.items() if value}


def _iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _without_refunds(order: Order) -> Order:
    """The order as it was when paid: no refunds, not cancelled, current total = total."""
    restored = copy.deepcopy(order)
    restored["refunds"] = []
    restored["cancelled_at"] = None
    restored["financial_status"] = "paid"
    restored["current_total_price"] = restored["total_price"]
    restored["current_total_price_set"] = copy.deepcopy(restored["total_price_set"])
    return restored


def _orders_by_customer(orders: list[Order]) -> dict[int, list[Order]]:
    history: dict[int, list[Order]] = {}
    for order in orders:
        if order.get("customer") and not order.get("test"):
            history.setdefault(int(order["customer"]["id"]), []).append(order)
    return history


def _free(customer: dict[str, Any], taken: set[str]) -> bool:
    """A customer with an email that no pre-existing contact holds."""
    email = (customer.get("email") or "").strip().lower()
    return bool(email) and email not in taken


def _undone(order: Order) -> bool:
    """Paid once, then fully refunded or cancelled."""
    return bool(order.get("refunds")) or order.get("cancelled_at") is not None


def _refunded(order: Order) -> bool:
    return bool(order.get("refunds"))


def _latest_change_is_partial_refund(orders: list[Order]) -> bool:
    latest = max(orders, key=_updated_at)
    return latest.get("financial_status") == "partially_refunded" and is_qualifying(latest)


def _last_change(orders: list[Order]) -> datetime:
    return max(_updated_at(order) for order in orders)


def _updated_at(order: Order) -> datetime:
    return _moment(order["updated_at"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _emails_of(properties: Mapping[str, str]) -> set[str]:
    emails = [properties.get("email", ""), *properties.get("hs_additional_emails", "").split(";")]
    return {email.strip().lower() for email in emails if email.strip()}
