"""The drills' verdict: does every contact in the sandbox HubSpot carry what the independent oracle says?"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.expected import expected_customers
from sandbox.runner import SandboxEndpoints
from tests.flows.world import contact_matches


def mismatches(sandbox: SandboxEndpoints, delivered: Iterable[Mapping[str, Any]] | None = None) -> list[int]:
    """Customers whose contact differs from the oracle, or who have several contacts.

    Args:
        sandbox: The running sandbox (its HubSpot store is checked).
        delivered: The orders shopsync was told about, in their current state; None means every order of
            the sandbox store. Only their customers are checked, against these orders alone.
    """
    contacts: dict[str, dict[str, str | None]] = {}
    owners: Counter[str] = Counter()
    for record in sandbox.hubspot_store.contacts():
        customer = record.properties.get("shopify_customer_id")
        if customer:
            contacts[customer] = dict(record.properties)
            owners[customer] += 1
    wrong = []
    orders = sandbox.shopify_store.orders() if delivered is None else delivered
    for customer_id, expected in expected_customers(orders).items():
        contact = contacts.get(str(customer_id))
        if expected.order_count == 0 and contact is None:
            continue  # never qualified: no contact is created for it
        if contact is None or owners[str(customer_id)] > 1 or not contact_matches(contact, expected):
            wrong.append(customer_id)
    return wrong
