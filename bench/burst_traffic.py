"""The burst's traffic and its end conditions: paced signed deliveries, convergence, a drained inbox."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.installations import WEBHOOK_SECRET
from bench.seeded_sandbox import Properties, mismatches
from sandbox.expected import ExpectedCustomer
from sandbox.shopify.sender import Delivery, DeliveryResult, WebhookSender, build_delivery
from tasks.store.inbox import Inbox

TOPIC = "orders/paid"
# Shopify's 4-hour retry schedule squeezed into 40 s: a delivery that fails gets retried within the run.
RETRY_TIME_SCALE = 1 / 360
_POLL_SECONDS = 0.5
_EXAMPLES = 5


@dataclass
class SendReport:
    """What the sender did: per-delivery results and when the burst started and was last acknowledged."""

    results: list[DeliveryResult]
    started: float
    last_acknowledged: float
    finished: float

    @property
    def acknowledged_ids(self) -> set[str]:
        return {result.webhook_id for result in self.results if result.delivered}

    @property
    def unacknowledged_ids(self) -> set[str]:
        """Webhook ids none of whose sends was ever acknowledged: Shopify would give up on them."""
        return {result.webhook_id for result in self.results} - self.acknowledged_ids

    def summary(self) -> dict[str, Any]:
        seconds = self.finished - self.started
        return {
            "sent": len(self.results),
            "unique_webhook_ids": len({result.webhook_id for result in self.results}),
            "seconds": round(seconds, 2),
            "achieved_rate": round(len(self.results) / seconds, 1) if seconds > 0 else 0.0,
            "retried": sum(1 for result in self.results if result.attempts > 1),
            "unacknowledged": len(self.unacknowledged_ids),
        }


@dataclass
class Convergence:
    """When (if ever) every contact carried the oracle's values after the burst."""

    converged: bool
    seconds_after_last_delivery: float
    seconds_from_first_delivery: float
    # When the number of wrong contacts last went down: HubSpot had settled, right or not.
    settled_after_last_delivery: float
    mismatched: list[int] = field(default_factory=list)
    # What the first few wrong contacts said against the oracle, to tell stale values from missing ones.
    examples: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "converged": self.converged,
            "seconds_after_last_delivery": round(self.seconds_after_last_delivery, 2),
            "seconds_from_first_delivery": round(self.seconds_from_first_delivery, 2),
            "settled_seconds_after_last_delivery": round(self.settled_after_last_delivery, 2),
            "mismatched_customers": len(self.mismatched),
            "mismatched_examples": self.examples,
        }


def planned_deliveries(orders: Sequence[Mapping[str, Any]], count: int, seed: int) -> list[Delivery]:
    """Every order once, then repeats of random ones (at-least-once retries) up to `count`, shuffled.

    A repeat carries the same webhook id, event id and body as the first send, as a Shopify retry does.
    """
    rng = random.Random(seed)
    firsts = [
        Delivery(
            TOPIC, build_delivery(TOPIC, order), webhook_id=f"burst-{order['id']}", event_id=str(uuid.uuid4())
        )
        for order in orders[:count]
    ]
    planned = firsts + [rng.choice(firsts) for _ in range(count - len(firsts))]
    rng.shuffle(planned)
    return planned


def send_paced(
    receiver_url: str, shop_domain: str, deliveries: Sequence[Delivery], rate: float, threads: int
) -> SendReport:
    """Start delivery i at `i / rate` s on a pool of sender threads (slow answers never slow the schedule)."""
    acknowledged_at: list[float] = []
    lock = threading.Lock()
    with httpx.Client() as http:
        sender = WebhookSender(http, receiver_url, WEBHOOK_SECRET, shop_domain, time_scale=RETRY_TIME_SCALE)

        def deliver(delivery: Delivery) -> DeliveryResult:
            result = sender.deliver(
                delivery.topic, delivery.payload, delivery.webhook_id, event_id=delivery.event_id
            )
            with lock:
                acknowledged_at.append(time.monotonic())
            return result

        started = time.monotonic()
        futures: list[Future[DeliveryResult]] = []
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="shopify-sender") as pool:
            for index, delivery in enumerate(deliveries):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(deliver, delivery))
            results = [future.result() for future in futures]
    finished = time.monotonic()
    return SendReport(results, started, max(acknowledged_at, default=finished), finished)


def wait_until_converged(
    read_contacts: Callable[[], Mapping[int, Properties]],
    expected: Mapping[int, ExpectedCustomer],
    sent: SendReport,
    timeout: float,
) -> Convergence:
    """Poll HubSpot until every contact equals the oracle, or until `timeout` s after the last delivery."""
    deadline = sent.last_acknowledged + timeout
    fewest, settled = len(expected) + 1, time.monotonic()
    while True:
        wrong = mismatches(expected, read_contacts())
        now = time.monotonic()
        if len(wrong) < fewest:
            fewest, settled = len(wrong), now
        if not wrong or now >= deadline:
            contacts = read_contacts()
            return Convergence(
                converged=not wrong,
                seconds_after_last_delivery=max(now - sent.last_acknowledged, 0.0),
                seconds_from_first_delivery=now - sent.started,
                settled_after_last_delivery=max(settled - sent.last_acknowledged, 0.0),
                mismatched=wrong,
                examples=[_example(expected[c], contacts.get(c)) for c in wrong[:_EXAMPLES]],
            )
        time.sleep(_POLL_SECONDS)


def wait_until_drained(inbox: Inbox, timeout: float) -> dict[str, int]:
    """Wait until no delivery is pending or claimed (or `timeout` s); returns the inbox's status counts."""
    deadline = time.monotonic() + timeout
    while True:
        counts: dict[str, int] = {status: count for status, count in inbox.counts().items()}
        if counts["pending"] + counts["claimed"] == 0 or time.monotonic() >= deadline:
            return counts
        time.sleep(_POLL_SECONDS)


def _example(want: ExpectedCustomer, contact: Properties | None) -> dict[str, Any]:
    purchase = {name: value for name, value in (contact or {}).items() if name.startswith("shopify_")}
    return {
        "customer_id": want.customer_id,
        "expected": {
            "total_spent": str(want.total_spent),
            "order_count": want.order_count,
            "first_order_date": str(want.first_order_date),
            "last_order_date": str(want.last_order_date),
            "last_order_number": want.last_order_number,
        },
        "contact": purchase if contact is not None else None,
    }
