"""A HubSpot portal that shopsync already synced, then drifted: the reconcile benchmark's starting point.

Every attributed customer of the seeded store gets one contact carrying exactly the oracle's values (so a
correct reconciliation leaves it alone), and then `drifted` of them get one purchase property knocked off,
as a HubSpot workflow, an import or a person in the UI would. The minimum a reconciliation must write is
therefore known in advance: ⌈drifted / 100⌉ batch updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sandbox.expected import ExpectedCustomer
from sandbox.seed import SeedContact
from tasks.hubspot.values import serialize_value
from tasks.rules.config import PropertiesConfig


@dataclass(frozen=True)
class DriftedPortal:
    """The seeded contacts and which customers' contacts were drifted."""

    contacts: list[SeedContact]
    drifted_customers: list[int]


def drifted_portal(
    expected: Mapping[int, ExpectedCustomer], drifted: int, properties: PropertiesConfig | None = None
) -> DriftedPortal:
    """One correct contact per customer, `drifted` of them (customers with qualifying orders) made wrong.

    Args:
        expected: The oracle's values per Shopify customer id.
        drifted: How many contacts to drift; at most the customers with a qualifying order.
        properties: HubSpot property names (defaults when None).

    Raises:
        ValueError: Fewer customers with qualifying orders than `drifted`.
    """
    names = properties or PropertiesConfig()
    buying = sorted(customer_id for customer_id, want in expected.items() if want.order_count)
    if len(buying) < drifted:
        raise ValueError(f"only {len(buying)} customers have qualifying orders; {drifted} requested")
    chosen = set(buying[:drifted])
    emails: set[str] = set()
    contacts: list[SeedContact] = []
    for customer_id, want in sorted(expected.items()):
        values = _correct_values(want, names)
        if want.email and want.email not in emails:
            # HubSpot emails are unique; a second customer with the same address keeps only its id.
            emails.add(want.email)
            values["email"] = want.email
        if customer_id in chosen:
            values.update(_drift(want, names, len(contacts)))
        contacts.append(SeedContact(properties=values))
    return DriftedPortal(contacts, sorted(chosen))


def _correct_values(want: ExpectedCustomer, names: PropertiesConfig) -> dict[str, str]:
    """The wire values shopsync writes for this customer (dates as YYYY-MM-DD, money with two decimals)."""
    values = {
        names.customer_id: str(want.customer_id),
        names.total_spent: serialize_value(want.total_spent),
        names.order_count: serialize_value(want.order_count),
        names.currency: want.currency,
    }
    optional = {
        names.first_order_date: want.first_order_date,
        names.last_order_date: want.last_order_date,
        names.last_order_number: want.last_order_number,
        names.last_order_at: want.last_order_at,
    }
    values.update((name, serialize_value(value)) for name, value in optional.items() if value is not None)
    return values


def _drift(want: ExpectedCustomer, names: PropertiesConfig, index: int) -> dict[str, str]:
    """One wrong purchase property, a different kind in turn: a total, a count, or a date."""
    kind = index % 3
    if kind == 0:
        return {names.total_spent: serialize_value(want.total_spent + Decimal("1.00"))}
    if kind == 1:
        return {names.order_count: serialize_value(want.order_count + 1)}
    assert want.last_order_date is not None  # every drifted customer has a qualifying order
    return {names.last_order_date: serialize_value(want.last_order_date - timedelta(days=1))}
