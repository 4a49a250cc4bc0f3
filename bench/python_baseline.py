"""The reconciliation written the straightforward way: dicts and loops, one row at a time.

It is the benchmark's "what if we had not used Polars" baseline, and a second implementation to check the
Polars one against: same rules (test, cancelled, financial status, minimum total), same aggregates, same
matching by Shopify id then email, same diff, same output order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bench.outcome import Outcome, Row, numeric_order
from tasks.rules.config import PropertiesConfig, RulesConfig

Record = Mapping[str, Any]
FACTS = (
    "total_spent",
    "order_count",
    "first_order_date",
    "last_order_date",
    "last_order_number",
    "last_order_at",
    "currency",
)
# Only ever moves forward: the later of the contact's value and the expected one.
FORWARD_ONLY = ("last_order_at",)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Expected:
    """One customer's expected identity and purchase facts (`values` keyed by FACTS)."""

    customer_id: int
    email: str | None
    values: dict[str, Any]

    def row(self) -> Row:
        return (self.customer_id, self.email, *(self.values[name] for name in FACTS))


def reconcile(
    orders: Sequence[Record], contacts: Sequence[Record], rules: RulesConfig, *, orphan_policy: str = "reset"
) -> Outcome:
    """Aggregate qualifying orders per customer and diff them against the contacts.

    Args:
        orders: ORDERS_SCHEMA rows as dicts.
        contacts: CONTACTS_SCHEMA rows as dicts.
        rules: The rules; only test, cancelled, financial status and minimum total are implemented.
        orphan_policy: "reset" writes orphans back, "report" only lists them.

    Returns:
        The same Outcome `bench.outcome.outcome_of` makes of `tasks.contacts.diff.diff_contacts`.
    """
    _check_supported(rules)
    expected = _aggregate(orders, rules)
    targets, duplicates = _split_duplicates(contacts)
    outcome = _diff(expected, targets, orphan_policy)
    adoptions, creates = _adopt_by_email(expected, targets, contacts)
    return Outcome(creates=creates, adoptions=adoptions, duplicates=duplicates, **outcome)


def _check_supported(rules: RulesConfig) -> None:
    """List rules (tags, product types, sources) are not implemented here: refuse rather than differ."""
    configured = [
        name
        for name in type(rules).model_fields
        if name != "financial_statuses" and isinstance(getattr(rules, name), tuple) and getattr(rules, name)
    ]
    if configured:
        raise ValueError(f"the per-row baseline does not implement the list rules {configured}")


def _qualifies(order: Record, rules: RulesConfig) -> bool:
    if rules.exclude_test_orders and order["test"]:
        return False
    if rules.exclude_cancelled and order["cancelled"]:
        return False
    if (order["financial_status"] or "unknown").lower() not in rules.financial_statuses:
        return False
    return not (rules.min_order_total > 0 and order["current_total"] < rules.min_order_total)


def _aggregate(orders: Sequence[Record], rules: RulesConfig) -> dict[int, _Expected]:
    """Per customer, in customer id order: walk their orders oldest first and total the qualifying ones."""
    histories: dict[int, list[Record]] = defaultdict(list)
    for order in orders:
        if order["customer_id"] is not None:
            histories[order["customer_id"]].append(order)
    expected = {}
    for customer_id in sorted(histories):
        history = sorted(histories[customer_id], key=lambda order: (order["processed_at"], order["order_id"]))
        email, total, count = None, Decimal("0"), 0
        first: date | None = None
        last: date | None = None
        number: str | None = None
        last_at: datetime | None = None
        for order in history:
            email = order["email"] if order["email"] is not None else email
            if _qualifies(order, rules):
                total, count = total + order["current_total"], count + 1
                first = order["processed_date"] if first is None else first
                last, number = order["processed_date"], order["name"]
                # HubSpot keeps datetimes to the millisecond.
                at = order["processed_at"]
                last_at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        values = {
            "total_spent": total.quantize(_CENT),
            "order_count": count,
            "first_order_date": first,
            "last_order_date": last,
            "last_order_number": number,
            "last_order_at": last_at,
            "currency": history[-1]["currency"],
        }
        expected[customer_id] = _Expected(customer_id, email, values)
    return expected


def _split_duplicates(contacts: Sequence[Record]) -> tuple[dict[int, Record], list[Row]]:
    """One target contact per Shopify id (the lowest contact id); the others reported as duplicates."""
    keyed = sorted(
        (contact for contact in contacts if contact["shopify_customer_id"] is not None),
        key=lambda contact: (contact["shopify_customer_id"], *numeric_order(contact["contact_id"])),
    )
    targets: dict[int, Record] = {}
    duplicates: list[Row] = []
    for contact in keyed:
        customer_id = contact["shopify_customer_id"]
        if customer_id in targets:
            duplicates.append((customer_id, contact["contact_id"], targets[customer_id]["contact_id"]))
        else:
            targets[customer_id] = contact
    return targets, duplicates


def _diff(expected: dict[int, _Expected], targets: dict[int, Record], orphan_policy: str) -> dict[str, Any]:
    """Compare each target's values with its customer's (or reset ones), in numeric contact id order."""
    names = PropertiesConfig().by_column()
    updates: list[Row] = []
    wide: list[Row] = []
    orphans: list[Row] = []
    unchanged = 0
    for contact in sorted(targets.values(), key=lambda contact: numeric_order(contact["contact_id"])):
        customer_id, contact_id = contact["shopify_customer_id"], contact["contact_id"]
        known = expected.get(customer_id)
        new = _forward_only(contact, known.values if known else _reset(contact))
        changed = [name for name in FACTS if contact[name] != new[name]]
        if not changed:
            unchanged += 1
            continue
        orphan = new["order_count"] == 0
        if orphan:
            orphans.append((contact_id, customer_id, contact["total_spent"], contact["order_count"]))
        if orphan and orphan_policy == "report":
            continue
        for name in changed:
            updates.append((contact_id, customer_id, names[name], _wire(contact[name]), _wire(new[name])))
        cells = [(_wire(new[name]) or "") if name in changed else None for name in FACTS]
        wide.append((contact_id, customer_id, *cells))
    return {
        "updates": updates,
        "updates_wide": wide,
        "orphans": orphans,
        "unchanged": unchanged,
        "matched": len(targets),
    }


def _forward_only(contact: Record, new: dict[str, Any]) -> dict[str, Any]:
    kept = dict(new)
    for name in FORWARD_ONLY:
        values = [value for value in (contact[name], new[name]) if value is not None]
        kept[name] = max(values) if values else None
    return kept


def _reset(contact: Record) -> dict[str, Any]:
    """A customer without any order: total 0, count 0, no dates or number; the shop currency stays."""
    reset: dict[str, Any] = dict.fromkeys(FACTS)
    return reset | {"total_spent": Decimal("0.00"), "order_count": 0, "currency": contact["currency"]}


def _wire(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.isoformat() if isinstance(value, date) else str(value)


def _email_lookup(contacts: Sequence[Record]) -> dict[str, list[tuple[int, str, str]]]:
    """Email → (rank: 0 primary / 1 additional, contact_id, matched_on) of contacts without a Shopify id."""
    lookup: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for contact in contacts:
        if contact["shopify_customer_id"] is not None:
            continue
        sources = [("email", [contact["email"]]), ("additional_email", contact["additional_emails"])]
        for rank, (source, emails) in enumerate(sources):
            for email in emails:
                if email is not None:
                    lookup[email.strip().lower()].append((rank, contact["contact_id"], source))
    return lookup


def _adopt_by_email(
    expected: dict[int, _Expected], targets: dict[int, Record], contacts: Sequence[Record]
) -> tuple[list[Row], list[Row]]:
    """(adoptions, creates): the best email match per customer, each contact to its lowest customer id."""
    lookup = _email_lookup(contacts)
    unmatched = [
        customer
        for customer_id, customer in expected.items()
        if customer.values["order_count"] > 0 and customer_id not in targets
    ]
    best: dict[str, tuple[int, str]] = {}
    for customer in unmatched:
        candidates = lookup.get(customer.email) if customer.email is not None else None
        if candidates:
            _, contact_id, source = min(candidates, key=lambda c: (c[0], *numeric_order(c[1])))
            # A contact is adopted by the lowest customer id that picked it.
            if contact_id not in best or customer.customer_id < best[contact_id][0]:
                best[contact_id] = (customer.customer_id, source)
    chosen = {customer_id: (contact_id, source) for contact_id, (customer_id, source) in best.items()}
    adoptions = [
        (*chosen[customer.customer_id], customer.customer_id, *customer.row()[2:])
        for customer in unmatched
        if customer.customer_id in chosen
    ]
    creates = [customer.row() for customer in unmatched if customer.customer_id not in chosen]
    return adoptions, creates
