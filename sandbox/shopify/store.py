"""In-memory Shopify shop: orders, customers and products kept in REST shape."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sandbox.shopify.order_money import (
    CENT,
    money_set,
    presentment_current,
    presentment_share,
    rest_timestamp,
)

StoreListener = Callable[[str, dict[str, Any]], None]


class ShopLike(Protocol):
    """What the store needs to know about the shop (`sandbox.seed.ShopInfo` fits)."""

    @property
    def domain(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def iana_timezone(self) -> str: ...
    @property
    def name(self) -> str: ...


class SeedLike(Protocol):
    """The parts of `sandbox.seed.SeedData` the store reads."""

    @property
    def shop(self) -> ShopLike: ...
    @property
    def products(self) -> list[dict[str, Any]]: ...
    @property
    def customers(self) -> list[dict[str, Any]]: ...
    @property
    def orders(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SandboxShop:
    """A plain shop description for stores built without seed data."""

    domain: str = "shopsync-demo.myshopify.com"
    currency: str = "USD"
    iana_timezone: str = "America/New_York"
    name: str = "shopsync demo"


class ShopifyStore:
    """Holds one shop's records; every mutation goes through a method so state stays coherent."""

    def __init__(
        self,
        shop: ShopLike,
        orders: Iterable[dict[str, Any]] = (),
        customers: Iterable[dict[str, Any]] = (),
        products: Iterable[dict[str, Any]] = (),
        webhook_subscriptions: Iterable[dict[str, Any]] = (),
    ) -> None:
        self.shop = shop
        self.listeners: list[StoreListener] = []
        self._initial = copy.deepcopy(
            (list(orders), list(customers), list(products), list(webhook_subscriptions))
        )
        self.reset()

    @classmethod
    def from_seed(cls, seed: SeedLike) -> ShopifyStore:
        """Build a store from generated seed data (deep-copied, so the seed stays intact)."""
        return cls(seed.shop, seed.orders, seed.customers, seed.products)

    def reset(self) -> None:
        """Return to the records the store was created with."""
        orders, customers, products, subscriptions = copy.deepcopy(self._initial)
        self._orders: dict[int, dict[str, Any]] = {}
        self._orders_by_customer: dict[int, dict[int, None]] = {}
        self._customers: dict[int, dict[str, Any]] = {c["id"]: c for c in customers}
        self._products: dict[int, dict[str, Any]] = {p["id"]: p for p in products}
        self.webhook_subscriptions: list[dict[str, Any]] = subscriptions
        self._ids = itertools.count(9_007_199_254_740_993)  # past 2**53 like real ids
        for order in orders:
            self._put_order(order)

    def next_id(self) -> int:
        """Return a fresh int64 id above 2**53 for records the sandbox creates."""
        return next(self._ids)

    def orders(self) -> list[dict[str, Any]]:
        """All orders, oldest inserted first."""
        return list(self._orders.values())

    def customers(self) -> list[dict[str, Any]]:
        """All customers."""
        return list(self._customers.values())

    def products(self) -> list[dict[str, Any]]:
        """All products."""
        return list(self._products.values())

    def get_order(self, order_id: int) -> dict[str, Any] | None:
        """The order with this id, or None."""
        return self._orders.get(order_id)

    def get_customer(self, customer_id: int) -> dict[str, Any] | None:
        """The customer with this id, or None."""
        return self._customers.get(customer_id)

    def get_product(self, product_id: int) -> dict[str, Any] | None:
        """The product with this id, or None."""
        return self._products.get(product_id)

    def customer_orders(self, customer_id: int) -> list[dict[str, Any]]:
        """Orders placed by this customer."""
        return [self._orders[i] for i in self._orders_by_customer.get(customer_id, {})]

    def upsert_order(self, payload: dict[str, Any]) -> None:
        """Insert or replace a REST-shaped order as given (no timestamp is bumped)."""
        created = payload["id"] not in self._orders
        self._put_order(copy.deepcopy(payload))
        self._notify("orders/create" if created else "orders/updated", payload)

    def refund_order(self, order_id: int, amount: Decimal, at: datetime) -> dict[str, Any]:
        """Refund part or all of an order's current total, like a merchant refund in the admin.

        Args:
            order_id: The order to refund.
            amount: Amount in shop currency; must not exceed the current total.
            at: When the refund happened.

        Returns:
            The REST refund appended to the order.

        Raises:
            KeyError: The order does not exist.
            ValueError: The amount is not positive or exceeds what is left to refund.
        """
        order = self._orders[order_id]
        current = Decimal(order["current_total_price"])
        amount = amount.quantize(CENT)
        if amount <= 0 or amount > current:
            raise ValueError(f"refund amount {amount} must be in (0, {current}]")
        presentment = presentment_share(order, amount)
        stamp = rest_timestamp(at, self.shop.iana_timezone)
        refund = self._build_refund(order, amount, stamp)
        left = current - amount
        left_presentment = presentment_current(order) - presentment
        order["refunds"] = [*order.get("refunds", []), refund]
        order["current_total_price"] = str(left)
        order["current_total_price_set"] = money_set(left, left_presentment, order)
        order["financial_status"] = "refunded" if left == 0 else "partially_refunded"
        order["updated_at"] = stamp
        self._notify("refunds/create", refund)
        self._notify("orders/updated", order)
        return refund

    def cancel_order(self, order_id: int, at: datetime) -> dict[str, Any]:
        """Cancel an order: set `cancelled_at` and bump `updated_at`; returns the order."""
        order = self._orders[order_id]
        stamp = rest_timestamp(at, self.shop.iana_timezone)
        order["cancelled_at"] = stamp
        order["cancel_reason"] = order.get("cancel_reason") or "customer"
        order["updated_at"] = stamp
        self._notify("orders/cancelled", order)
        self._notify("orders/updated", order)
        return order

    def place_order(self, customer_id: int, at: datetime) -> dict[str, Any]:
        """A new paid order of this customer at `at`, like a checkout; announced as orders/create and
        orders/paid.

        The order repeats the customer's latest order (same items and totals) with fresh ids, the next
        order number, no refunds, not cancelled.

        Raises:
            KeyError: The customer has no order to repeat.
        """
        placed = [o for o in self.customer_orders(customer_id) if not o.get("test")]
        if not placed:
            raise KeyError(f"customer {customer_id} has no order to repeat")
        order = copy.deepcopy(max(placed, key=lambda o: int(o["order_number"])))
        number = max(int(o["order_number"]) for o in self._orders.values()) + 1
        order_id, stamp = self.next_id(), rest_timestamp(at, self.shop.iana_timezone)
        order.update(
            id=order_id,
            admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
            name=f"#{number}",
            order_number=number,
            number=number - 1000,
            created_at=stamp,
            processed_at=stamp,
            updated_at=stamp,
            cancelled_at=None,
            cancel_reason=None,
            closed_at=None,
            financial_status="paid",
            refunds=[],
            current_total_price=order["total_price"],
            current_total_price_set=copy.deepcopy(order["total_price_set"]),
        )
        for item in order["line_items"]:
            item_id = self.next_id()
            item.update(
                id=item_id,
                admin_graphql_api_id=f"gid://shopify/LineItem/{item_id}",
                current_quantity=item["quantity"],
            )
        self._put_order(order)
        self._notify("orders/create", order)
        self._notify("orders/paid", order)
        return order

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of everything in the store."""
        return copy.deepcopy(
            {
                "shop": {
                    "domain": self.shop.domain,
                    "currency": self.shop.currency,
                    "iana_timezone": self.shop.iana_timezone,
                    "name": self.shop.name,
                },
                "orders": self.orders(),
                "customers": self.customers(),
                "products": self.products(),
                "webhook_subscriptions": self.webhook_subscriptions,
            }
        )

    def _put_order(self, order: dict[str, Any]) -> None:
        previous = self._orders.get(order["id"])
        if previous is not None and (old_customer := _customer_id(previous)) is not None:
            self._orders_by_customer.get(old_customer, {}).pop(order["id"], None)
        self._orders[order["id"]] = order
        if (customer_id := _customer_id(order)) is not None:
            # A dict keeps insertion order and makes re-assigning an order O(1).
            self._orders_by_customer.setdefault(customer_id, {})[order["id"]] = None
        customer = order.get("customer")
        # Orders created over HTTP may bring a customer the shop has not seen yet.
        if customer and customer["id"] not in self._customers:
            self._customers[customer["id"]] = copy.deepcopy(customer)

    def _build_refund(self, order: dict[str, Any], amount: Decimal, stamp: str) -> dict[str, Any]:
        refund_id, transaction_id = self.next_id(), self.next_id()
        transaction = {
            "id": transaction_id,
            "order_id": order["id"],
            "kind": "refund",
            "status": "success",
            "amount": str(amount),
            "currency": order["currency"],
            "created_at": stamp,
            "processed_at": stamp,
            "gateway": "bogus",
            "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{transaction_id}",
        }
        return {
            "id": refund_id,
            "order_id": order["id"],
            "created_at": stamp,
            "processed_at": stamp,
            "note": None,
            "refund_line_items": [],
            "order_adjustments": [],
            "transactions": [transaction],
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        }

    def _notify(self, topic: str, payload: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(topic, copy.deepcopy(payload))


def _customer_id(order: dict[str, Any]) -> int | None:
    customer = order.get("customer")
    return int(customer["id"]) if customer else None
