"""Orders read through GraphQL that break a rule: kept out of the ledger, and said out loud instead.

One impossible order must not fail a whole read (a reconciliation reads up to a million), and must not be
silently dropped either: a customer's totals computed without one of their orders are wrong. Readers hand
each refused node to an `OnInvalid` callback as a `RejectedOrder` (which order, whose, which field, why),
and carry on; without a callback they raise as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tasks.errors import InvalidOrderPayload
from tasks.shopify import parsing
from tasks.shopify.models import OrderRecord

__all__ = ["OnInvalid", "RejectedOrder", "read_graphql_order"]


@dataclass(frozen=True)
class RejectedOrder:
    """An order refused by the order rules, with as much of who it belongs to as could still be read."""

    order_id: int | None
    customer_id: int | None
    field: str
    reason: str

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any], error: InvalidOrderPayload) -> RejectedOrder:
        """Describe a refused `Order` node; ids that are themselves broken are None."""
        customer = node.get("customer")
        return cls(
            order_id=_readable_id(node, "Order"),
            customer_id=_readable_id(customer, "Customer") if isinstance(customer, Mapping) else None,
            field=error.field or "",
            reason=str(error),
        )


OnInvalid = Callable[[RejectedOrder], None]


def read_graphql_order(
    node: Mapping[str, Any], shop_timezone: ZoneInfo, on_invalid: OnInvalid | None
) -> OrderRecord | None:
    """`OrderRecord.from_graphql`, or None after telling `on_invalid` why not (raises without a callback).

    Raises:
        InvalidOrderPayload: The node breaks a rule and `on_invalid` is None.
    """
    try:
        return OrderRecord.from_graphql(node, shop_timezone)
    except InvalidOrderPayload as error:
        if on_invalid is None:
            raise
        on_invalid(RejectedOrder.from_graphql(node, error))
        return None


def _readable_id(node: Mapping[str, Any], resource: str) -> int | None:
    """The REST id of a GraphQL object from its gid, else its `legacyResourceId`; None when neither parses."""
    try:
        return parsing.gid_id(node.get("id"), "id", resource)
    except InvalidOrderPayload:
        pass
    try:
        return parsing.int_id(node.get("legacyResourceId"), "legacyResourceId")
    except InvalidOrderPayload:
        return None
