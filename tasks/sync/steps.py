"""The real-time pipeline, step by step: deliveries → order ledger → rules → HubSpot.

Each step is a plain function (no Prefect) so the flow in `flows/sync_orders.py` only composes them as tasks
and tests can run them against the sandbox directly. Totals are recomputed from the ledger for every customer
a batch touches, never incremented, so duplicates and reordered deliveries cannot double count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from tasks.contacts.diff import ContactDiff, diff_contacts
from tasks.contacts.leased import Grant, LeaseHolder, Leases, write_under_leases
from tasks.contacts.lookup import read_contacts_for
from tasks.contacts.writer import WriteReport, apply_diff
from tasks.errors import InvalidOrderPayload
from tasks.hubspot.client import HubSpotClient
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import ShopsyncConfig, WriteSource
from tasks.rules.frames import contacts_frame, orders_frame
from tasks.rules.qualifying import evaluate_orders
from tasks.shopify.models import OrderRecord
from tasks.shopify.rejections import OnInvalid, RejectedOrder
from tasks.store.erasure import REDACTED_REASON
from tasks.store.inbox import Delivery
from tasks.store.ledger import Ledger

ORDER_TOPICS = frozenset({"orders/paid", "orders/updated", "orders/cancelled", "orders/create"})
REFETCH_TOPICS = frozenset({"refunds/create"})
Outcome = Literal["synced", "skipped", "failed"]


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one delivery ended; `reason` names the rule that skipped it or why it failed."""

    webhook_id: str
    topic: str
    order_id: int | None
    customer_id: int | None
    status: Outcome
    reason: str | None = None


@dataclass
class RecordedBatch:
    """The orders a batch of deliveries carried, after the ledger has seen them."""

    orders: dict[str, OrderRecord] = field(default_factory=dict)  # by webhook id
    invalid: dict[str, str] = field(default_factory=dict)  # webhook id → reason
    changed_order_ids: list[int] = field(default_factory=list)
    # Customers the ledger had for these orders before the upsert: an order moved to another customer
    # changes the previous owner's totals too.
    previous_customer_ids: list[int] = field(default_factory=list)
    # Deliveries of customers who asked to be forgotten: never recorded, their payload is dropped.
    redacted: set[str] = field(default_factory=set)

    @property
    def customer_ids(self) -> list[int]:
        ids = {record.customer_id for record in self.orders.values() if record.customer_id is not None}
        return sorted(ids | set(self.previous_customer_ids))


def parse_deliveries(
    deliveries: Sequence[Delivery], refetch: Callable[[Sequence[int], OnInvalid], list[OrderRecord]]
) -> RecordedBatch:
    """Turn deliveries into order records; refunds are re-read from Shopify (their payload lacks the totals).

    Args:
        deliveries: Claimed inbox rows.
        refetch: Reads current orders by id (`ShopifyClient.fetch_orders_by_ids`), telling the callback
            about each order that breaks a rule instead of failing the batch.

    Returns:
        Parsed orders by webhook id and the reason of every delivery that could not be parsed or breaks an
        order rule (`tasks.shopify.order_rules`): those end `failed`, never in the ledger.
    """
    batch = RecordedBatch()
    refetch_ids: dict[str, int] = {}
    for delivery in deliveries:
        try:
            payload = delivery.payload_object()
            if delivery.topic in REFETCH_TOPICS:
                refetch_ids[delivery.webhook_id] = _refund_order_id(payload)
            else:
                batch.orders[delivery.webhook_id] = OrderRecord.from_webhook(payload)
        except (InvalidOrderPayload, ValueError) as error:
            batch.invalid[delivery.webhook_id] = f"invalid payload: {error}"
    if refetch_ids:
        rejected: dict[int | None, str] = {}

        def reject(order: RejectedOrder) -> None:
            rejected[order.order_id] = order.reason

        current = {r.order_id: r for r in refetch(sorted(set(refetch_ids.values())), reject)}
        for webhook_id, order_id in refetch_ids.items():
            if order_id in current:
                batch.orders[webhook_id] = current[order_id]
            elif order_id in rejected:
                batch.invalid[webhook_id] = f"invalid order {order_id} in Shopify: {rejected[order_id]}"
            else:
                batch.invalid[webhook_id] = f"order {order_id} not found in Shopify"
    return batch


def _refund_order_id(payload: dict[str, Any]) -> int:
    order_id = payload.get("order_id")
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise InvalidOrderPayload("refund payload.order_id must be an integer")
    return order_id


def record_orders(
    batch: RecordedBatch,
    ledger: Ledger,
    product_types: Callable[[Iterable[int]], Mapping[int, str]] | None,
    redacted_among: Callable[[Iterable[int]], set[int]] | None = None,
) -> RecordedBatch:
    """Resolve product types when rules need them, then upsert into the ledger (newest `updated_at` wins).

    Args:
        batch: The parsed deliveries.
        ledger: The order ledger.
        product_types: Looks up the types of many products at once (`ProductTypeCache.lookup`), so a
            batch costs at most one Shopify `nodes(ids:)` round trip; None when no rule needs types.
        redacted_among: Which of some customers were redacted (`Redactions.among`); their orders leave
            the batch here (the ledger would refuse them anyway) and their deliveries end skipped.
    """
    if redacted_among is not None:
        redacted = redacted_among(r.customer_id for r in batch.orders.values() if r.customer_id is not None)
        batch.redacted = {key for key, record in batch.orders.items() if record.customer_id in redacted}
        batch.orders = {key: record for key, record in batch.orders.items() if key not in batch.redacted}
    if product_types is not None:
        wanted = {pid for record in batch.orders.values() for pid in record.product_ids}
        types = product_types(sorted(wanted))
        batch.orders = {key: record.with_product_types(types) for key, record in batch.orders.items()}
    batch.previous_customer_ids = ledger.customers_touched(
        record.order_id for record in batch.orders.values()
    )
    batch.changed_order_ids = ledger.upsert(batch.orders.values())
    return batch


def expected_for(
    customer_ids: Iterable[int], ledger: Ledger, config: ShopsyncConfig
) -> tuple[pl.DataFrame, dict[int, str | None]]:
    """Expected HubSpot values of these customers, recomputed from every order the ledger holds for them.

    Returns:
        The expected frame and, per ledger order, the rule that keeps it out of the totals (None: it counts).
        Reasons come from the ledger's newest version of each order, so a stale delivery is judged by the
        order's current state.
    """
    frame = orders_frame(ledger.orders_for_customers(customer_ids))
    evaluated = evaluate_orders(frame, config.rules)
    reasons = dict(zip(evaluated["order_id"].to_list(), evaluated["skip_reason"].to_list(), strict=True))
    return customer_aggregates(frame, config.rules, config.mapping), reasons


def plan_customers(client: HubSpotClient, expected: pl.DataFrame, config: ShopsyncConfig) -> ContactDiff:
    """Read the customers' contacts and diff them with their expected values."""
    frame = expected.select("customer_id", "email")
    contacts = (
        read_contacts_for(client, frame, config)
        if not expected.is_empty()
        else contacts_frame([], config.properties, config.mapping)
    )
    return diff_contacts(expected, contacts, orphan_policy="reset", properties=config.properties)


def write_customers(
    client: HubSpotClient, expected: pl.DataFrame, config: ShopsyncConfig
) -> tuple[WriteReport, int]:
    """Bring the customers' contacts to the expected values; returns the report and the unchanged count."""
    if expected.is_empty():
        return WriteReport(), 0
    diff = plan_customers(client, expected, config)
    return apply_diff(client, diff, config.properties), diff.unchanged


@dataclass
class SyncedCustomers:
    """What bringing a batch's customers up to date did: the writes, each order's skip reason, no-ops."""

    report: WriteReport = field(default_factory=WriteReport)
    reasons: dict[int, str | None] = field(default_factory=dict)
    unchanged: int = 0


def sync_customers_leased(
    customer_ids: Sequence[int],
    ledger: Ledger,
    client: HubSpotClient,
    config: ShopsyncConfig,
    leases: Leases,
    holder: LeaseHolder,
    source: WriteSource = "realtime",
) -> SyncedCustomers:
    """Recompute each customer from the ledger and write what differs, holding the customer's lease.

    The ledger is read after the lease is taken, so a nightly run or a replay writing the same contact
    either finished before (and this run writes over it with newer facts) or waits for this run.

    Args:
        customer_ids: The batch's customers (and previous owners of orders that moved).
        ledger: The order ledger.
        client: The HubSpot client.
        config: Rules and property names.
        leases: The shared lease store.
        holder: This run as a lease holder.
        source: The label written with every change ("replay" when an operator re-sent failed deliveries).

    Returns:
        The writes, the skip reason of every order read, and how many contacts were already right.
    """
    synced = SyncedCustomers()

    def plan(grants: Sequence[Grant]) -> ContactDiff:
        expected, reasons = expected_for([g.customer_id for g in grants], ledger, config)
        synced.reasons.update(reasons)
        diff = plan_customers(client, expected, config)
        synced.unchanged += diff.unchanged
        return diff

    def write(diff: ContactDiff) -> WriteReport:
        return apply_diff(client, diff, config.properties, source=source)

    synced.report = write_under_leases(customer_ids, leases, holder, plan, write)
    return synced


def delivery_outcomes(
    deliveries: Sequence[Delivery],
    batch: RecordedBatch,
    reasons: dict[int, str | None],
    report: WriteReport,
) -> list[DeliveryOutcome]:
    """One final status per delivery: failed (unparseable or HubSpot refused), skipped (a rule), synced."""
    failed_customers = report.failed_customers()
    outcomes = []
    for delivery in deliveries:
        if delivery.webhook_id in batch.redacted:
            # Neither the order nor the customer is named: the outcome goes into an artifact and an event.
            outcomes.append(
                DeliveryOutcome(delivery.webhook_id, delivery.topic, None, None, "skipped", REDACTED_REASON)
            )
            continue
        record = batch.orders.get(delivery.webhook_id)
        if record is None:
            reason = batch.invalid.get(delivery.webhook_id, "no order in delivery")
            outcomes.append(
                DeliveryOutcome(
                    delivery.webhook_id, delivery.topic, delivery.order_id, None, "failed", reason
                )
            )
            continue
        status, why = _status_of(record, reasons.get(record.order_id), failed_customers)
        outcomes.append(
            DeliveryOutcome(
                delivery.webhook_id, delivery.topic, record.order_id, record.customer_id, status, why
            )
        )
    return outcomes


def _status_of(
    record: OrderRecord, skip_reason: str | None, failed: dict[int | None, str]
) -> tuple[Outcome, str | None]:
    if record.customer_id is None:
        return "skipped", "unattributed: the order has no customer"
    if record.customer_id in failed:
        return "failed", f"HubSpot: {failed[record.customer_id]}"
    if skip_reason is not None:
        return "skipped", skip_reason
    return "synced", None
