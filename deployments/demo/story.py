"""The scenes of `make demo`: a burst of webhooks, waiting for the sync, reconciling, checking the numbers.

Everything here acts on a running stack (deployments/demo/stack.py) and sandbox (sandbox/runner.py)
exactly as a user would: Shopify delivers to the subscriptions setup made, deployments run through the
Prefect API.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from sandbox.expected import ExpectedCustomer, expected_customers, is_qualifying
from sandbox.hubspot.values import iso_millis
from sandbox.hubspot.workflows import read_enrolments
from sandbox.runner import SandboxEndpoints
from sandbox.shopify.sender import WebhookSender
from sandbox.shopify.webhook_payloads import build_delivery
from tasks.rules.config import PropertiesConfig
from tasks.store.inbox import Inbox

# Orders whose webhooks "get lost" so the nightly reconciliation has something to repair.
MISSED_EVERY = 9
DUPLICATED = 5
# Customers who buy again while the demo runs: their new orders are what a workflow should act on.
NEW_BUYERS = 3


@dataclass
class BurstResult:
    """What the sender saw."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    missed_on_purpose: int = 0
    skipped_by_rule: list[str] = field(default_factory=list)
    new_orders: int = 0


@dataclass(frozen=True)
class WorkflowTriggers:
    """Enrolments of a workflow on the trigger property during the demo, by what caused them."""

    new_orders: int
    from_corrections: int
    by_source: dict[str, int]

    def describe(self) -> str:
        """The summary line, e.g. "workflow triggers: 9 (one per new order), 0 from corrections"."""
        new, corrections = self.new_orders, self.from_corrections
        return f"workflow triggers: {new} (one per new order), {corrections} from corrections"


def send_burst(sandbox: SandboxEndpoints, receiver_url: str) -> BurstResult:
    """Shopify fires `orders/paid` for the store's orders and delivers them to the subscribed receiver.

    `shopsync setup --receiver-url` has subscribed the receiver, so the deliveries go wherever Shopify was
    told, with Shopify's usual mess: every ninth order's webhook is lost (the nightly run repairs it), five
    are delivered three times, and test orders are sent too (skipped by the default rules). One forgery,
    signed with the wrong key, is posted straight to the receiver by an impostor (answered 401, never
    stored).
    """
    result = BurstResult()
    webhooks = sandbox.shopify_webhooks
    orders = [o for o in sandbox.shopify_store.orders() if o["customer"] is not None]
    for index, order in enumerate(orders):
        lost = index % MISSED_EVERY == MISSED_EVERY - 1
        copies = 3 if index < DUPLICATED else 1
        webhooks.emit_for_order("orders/paid", order["id"], copies=copies, dropped=lost)
        if order["test"] and not lost:
            result.skipped_by_rule.append(order["name"])
    if not webhooks.wait_idle(timeout=120):
        raise RuntimeError("the sandbox did not finish delivering the webhooks within 2 minutes")
    for delivery in webhooks.deliveries():
        if delivery.dropped:
            result.missed_on_purpose += 1
            continue
        result.sent += len(delivery.statuses)
        result.accepted += sum(status == 200 for status in delivery.statuses)
        result.duplicates += len(delivery.statuses) - 1
    with httpx.Client(timeout=10.0) as http:
        impostor = WebhookSender(
            http, receiver_url, sandbox.shopify_config.client_secret, sandbox.seed.shop.domain, time_scale=0.0
        )
        forged = impostor.deliver("orders/paid", build_delivery("orders/paid", orders[0]), bad_signature=True)
    result.sent += 1
    result.rejected += forged.status == 401
    _deliver_new_orders(sandbox, result)
    return result


def _deliver_new_orders(sandbox: SandboxEndpoints, result: BurstResult) -> None:
    """Customers who already bought buy again; Shopify delivers each new `orders/paid` to the subscription."""
    webhooks = sandbox.shopify_webhooks
    already = len(webhooks.deliveries())
    for order in _buy_again(sandbox, NEW_BUYERS):
        webhooks.emit_for_order("orders/paid", order["id"])
        result.new_orders += 1
    if not webhooks.wait_idle(timeout=60):
        raise RuntimeError("the sandbox did not deliver the new orders' webhooks within a minute")
    for delivery in webhooks.deliveries()[already:]:
        result.sent += len(delivery.statuses)
        result.accepted += sum(status == 200 for status in delivery.statuses)


def _buy_again(sandbox: SandboxEndpoints, count: int) -> list[dict[str, Any]]:
    """New paid orders, now, of the first `count` customers (by id) whose contact already reflects orders."""
    trigger = PropertiesConfig().last_order_at
    synced = sorted(
        int(customer)
        for contact in sandbox.hubspot_store.contacts()
        if (customer := contact.properties.get("shopify_customer_id")) and contact.properties.get(trigger)
    )
    store = sandbox.shopify_store
    buyers = [c for c in synced if any(is_qualifying(order) for order in store.customer_orders(c))][:count]
    return [store.place_order(customer, datetime.now(UTC)) for customer in buyers]


def triggers_before(sandbox: SandboxEndpoints) -> dict[str, str]:
    """Each contact's trigger value before the story (customer id → value), read from the store."""
    names = PropertiesConfig()
    return {
        str(contact.properties[names.customer_id]): str(contact.properties.get(names.last_order_at) or "")
        for contact in sandbox.hubspot_store.contacts()
        if contact.properties.get(names.customer_id)
    }


def workflow_triggers(sandbox: SandboxEndpoints, before: Mapping[str, str]) -> WorkflowTriggers:
    """Count the enrolments of a workflow on the trigger, read over the API from the property history.

    An enrolment is "one per new order" when its value is the instant of one of the customer's paid orders
    and later than everything the contact showed before; anything else (a value moved back, an instant no
    order has) came from a correction.
    """
    names = PropertiesConfig()
    headers = {"Authorization": f"Bearer {sandbox.hubspot_token}"}
    with httpx.Client(base_url=sandbox.hubspot_base_url, headers=headers, timeout=30) as http:
        found = read_enrolments(http, names.last_order_at, names.write_source, names.customer_id)
    new, corrections, sources = 0, 0, Counter[str]()
    for customer, enrolled in found.items():
        instants = _paid_instants(sandbox, customer)
        shown = before.get(customer, "")
        for enrolment in enrolled:
            if enrolment.value in instants and enrolment.value > shown:
                new += 1
            else:
                corrections += 1
            shown = max(shown, enrolment.value)
            sources[enrolment.source or "unlabelled"] += 1
    return WorkflowTriggers(new, corrections, dict(sources))


def _paid_instants(sandbox: SandboxEndpoints, customer: str) -> set[str]:
    if not customer.isdigit():
        return set()
    orders = sandbox.shopify_store.customer_orders(int(customer))
    return {iso_millis(datetime.fromisoformat(o["processed_at"])) for o in orders if is_qualifying(o)}


def wait_for_inbox(inbox: Inbox, expected_finished: int, timeout: float, tick: Callable[[str], None]) -> bool:
    """Wait until the sync runs have finished every accepted delivery; True when they did in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = inbox.counts()
        finished = counts["synced"] + counts["skipped"] + counts["failed"]
        tick(f"inbox: {counts['pending']} pending, {counts['claimed']} in progress, {finished} finished")
        if finished >= expected_finished and counts["pending"] == 0 and counts["claimed"] == 0:
            return True
        time.sleep(1.0)
    return False


def run_and_wait(deployment: str, parameters: dict[str, Any], timeout: float = 600) -> FlowRun:
    """Run a deployment through the Prefect API and wait for it to finish."""
    run = run_deployment(deployment, parameters=parameters, timeout=timeout, poll_interval=1)
    assert isinstance(run, FlowRun)
    return run


def contacts_off_by(sandbox: SandboxEndpoints) -> tuple[int, int]:
    """How many customers' contacts differ from what Shopify's orders say (oracle), and how many exist."""
    expected = expected_customers(sandbox.shopify_store.orders())
    by_customer = {
        contact.properties.get("shopify_customer_id"): contact.properties
        for contact in sandbox.hubspot_store.contacts()
        if contact.properties.get("shopify_customer_id")
    }
    wrong = 0
    for customer_id, facts in expected.items():
        contact = by_customer.get(str(customer_id))
        if contact is None:
            wrong += facts.order_count > 0
        elif not _matches(contact, facts):
            wrong += 1
    return wrong, len(expected)


def _matches(contact: dict[str, str | None], facts: ExpectedCustomer) -> bool:
    def text(name: str) -> str | None:
        return contact.get(name) or None

    return (
        Decimal(text("shopify_total_spent") or "0") == facts.total_spent
        and int(text("shopify_order_count") or "0") == facts.order_count
        and text("shopify_last_order_date") == (facts.last_order_date and facts.last_order_date.isoformat())
        and text("shopify_first_order_date")
        == (facts.first_order_date and facts.first_order_date.isoformat())
        and text("shopify_last_order_number") == facts.last_order_number
    )


def qualifying_orders(sandbox: SandboxEndpoints) -> int:
    """Orders that count toward totals under the default rules (for the summary)."""
    return sum(1 for order in sandbox.shopify_store.orders() if is_qualifying(order))


def run_doctor(env: dict[str, str], receiver_url: str) -> tuple[bool, str]:
    """`shopsync doctor --receiver-url …` as an operator runs it, in the stack's environment."""
    command = [sys.executable, "-m", "deployments.cli", "doctor", "--receiver-url", receiver_url]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    return result.returncode == 0, (result.stdout + result.stderr).rstrip()
