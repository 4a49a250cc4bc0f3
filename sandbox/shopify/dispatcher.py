"""Shopify's side of webhook subscriptions: every event goes to each subscription of its topic.

The store reports what changes (a refund, a cancellation, a new or edited order) and a control can fire an
event for an order (`orders/paid` for the seeded, already paid orders). For each subscription whose topic
matches, a background thread delivers the event with `WebhookSender`: signed with the app's client secret,
Shopify's headers, one webhook id per subscription (kept across retries and duplicates), one event id per
event, and the retry schedule compressed by `webhook_retry_time_scale`. Nothing is sent without a
subscription, exactly as on a real shop.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.sender import WebhookSender
from sandbox.shopify.store import ShopifyStore
from sandbox.shopify.webhook_payloads import (
    COMPLIANCE_TOPICS,
    ORDER_TOPICS,
    build_compliance_delivery,
    build_delivery,
)


@dataclass(frozen=True)
class Event:
    """One event to send to the subscriptions of its topic.

    `copies` > 1 sends each delivery that often with the same webhook id (at-least-once); `dropped` means
    Shopify never sends it (an incident, a subscription removed after failed retries): it is only logged.
    """

    topic: str
    payload: Mapping[str, Any]
    copies: int = 1
    dropped: bool = False
    webhook_id: str | None = None


@dataclass(frozen=True)
class DispatchedDelivery:
    """What happened to one event at one subscription: each send's final status (None: no answer)."""

    topic: str
    uri: str
    webhook_id: str
    statuses: tuple[int | None, ...]
    dropped: bool = False

    def as_json(self) -> dict[str, Any]:
        """For `/_sandbox/state`."""
        return asdict(self)


class WebhookDispatcher:
    """Delivers store events to the app's webhook subscriptions, one event at a time, off the request path."""

    def __init__(
        self,
        store: ShopifyStore,
        config: ShopifySandboxConfig,
        http_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._http_factory = http_factory or httpx.Client
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._log: list[DispatchedDelivery] = []
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        store.listeners.append(self._on_store_change)

    def emit(self, event: Event) -> None:
        """Queue an event; `wait_idle` blocks until everything queued has been delivered."""
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="shopify-webhooks", daemon=True)
                self._worker.start()
        self._queue.put(event)

    def emit_for_order(self, topic: str, order_id: int, **options: Any) -> None:
        """Fire `topic` for a stored order, with the body Shopify sends on that topic.

        Raises:
            KeyError: No such order.
            ValueError: The topic has no body for this order (e.g. refunds/create without a refund).
        """
        order = self._store.get_order(order_id)
        if order is None:
            raise KeyError(order_id)
        payload = build_delivery(topic, order, shop_domain=self._store.shop.domain)
        self.emit(Event(topic, payload, **options))

    def emit_compliance(self, topic: str, customer_id: int | None = None, **options: Any) -> None:
        """Fire a compliance topic (a customer's redaction or data request, or the shop's redaction).

        Raises:
            KeyError: No such customer.
            ValueError: Not a compliance topic, or a customer topic without a customer id.
        """
        customer = None
        orders: list[dict[str, Any]] = []
        if customer_id is not None:
            customer = self._store.get_customer(customer_id)
            if customer is None:
                raise KeyError(customer_id)
            orders = self._store.customer_orders(customer_id)
        payload = build_compliance_delivery(topic, customer, orders, shop_domain=self._store.shop.domain)
        self.emit(Event(topic, payload, **options))

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until every queued event has been delivered (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def deliveries(self) -> list[DispatchedDelivery]:
        """Every delivery so far, in the order they finished."""
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget the delivery log (queued events are still sent)."""
        with self._lock:
            self._log.clear()

    def close(self) -> None:
        """Stop the worker once it has sent what is queued."""
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=30)

    def _on_store_change(self, topic: str, payload: dict[str, Any]) -> None:
        if topic in ORDER_TOPICS:
            payload = build_delivery(topic, payload, shop_domain=self._store.shop.domain)
        self.emit(Event(topic, payload))

    def _run(self) -> None:
        with self._http_factory() as http:
            while (event := self._queue.get()) is not None:
                try:
                    self._dispatch(http, event)
                finally:
                    self._queue.task_done()
            self._queue.task_done()

    def _dispatch(self, http: httpx.Client, event: Event) -> None:
        enum_value = event.topic.upper().replace("/", "_")  # how the subscription stores its topic
        subscriptions = [s for s in list(self._store.webhook_subscriptions) if s["topic"] == enum_value]
        if event.topic in COMPLIANCE_TOPICS:
            subscriptions = self._compliance_subscriptions()
        # One merchant action, one event id across every delivery it causes (api-facts A2).
        event_id = str(uuid.uuid4())
        for subscription in subscriptions:
            sender = WebhookSender(
                http,
                subscription["uri"],
                self._config.client_secret,
                self._store.shop.domain,
                api_version=subscription.get("apiVersion") or self._config.api_versions[-1],
                time_scale=self._config.webhook_retry_time_scale,
            )
            self._record(self._deliver(sender, event, subscription["uri"], event_id))

    def _compliance_subscriptions(self) -> list[dict[str, Any]]:
        """Where the app's configuration sends compliance topics: `compliance_webhook_uri`, or else the
        address the app's API subscriptions use (an app points both at its one receiver)."""
        if self._config.compliance_webhook_uri:
            return [{"uri": self._config.compliance_webhook_uri}]
        uris = dict.fromkeys(s["uri"] for s in list(self._store.webhook_subscriptions))
        return [{"uri": uri} for uri in uris]

    def _deliver(self, sender: WebhookSender, event: Event, uri: str, event_id: str) -> DispatchedDelivery:
        webhook_id = event.webhook_id
        if event.dropped:
            return DispatchedDelivery(event.topic, uri, webhook_id or "", (), dropped=True)
        statuses: list[int | None] = []
        for _ in range(event.copies):
            result = sender.deliver(event.topic, event.payload, webhook_id, event_id=event_id)
            webhook_id = result.webhook_id
            statuses.append(result.status)
        return DispatchedDelivery(event.topic, uri, webhook_id or "", tuple(statuses))

    def _record(self, delivery: DispatchedDelivery) -> None:
        with self._lock:
            self._log.append(delivery)


def webhook_routes(dispatcher: WebhookDispatcher) -> list[BaseRoute]:
    """`POST /_sandbox/webhooks/emit`: fire a topic for a stored order (`copies`, `dropped` optional);
    `POST /_sandbox/webhooks/compliance`: fire a compliance topic for a customer (`customer_id`) or for
    the shop."""

    async def emit(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            options = {key: body[key] for key in ("copies", "dropped", "webhook_id") if key in body}
            dispatcher.emit_for_order(str(body["topic"]), int(body["order_id"]), **options)
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"errors": f"cannot emit: {error!r}"}, status_code=422)
        return JSONResponse({"status": "queued"}, status_code=202)

    async def compliance(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            customer_id = int(body["customer_id"]) if body.get("customer_id") is not None else None
            options = {key: body[key] for key in ("copies", "dropped", "webhook_id") if key in body}
            dispatcher.emit_compliance(str(body["topic"]), customer_id, **options)
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"errors": f"cannot emit: {error!r}"}, status_code=422)
        return JSONResponse({"status": "queued"}, status_code=202)

    return [
        Route("/_sandbox/webhooks/emit", emit, methods=["POST"]),
        Route("/_sandbox/webhooks/compliance", compliance, methods=["POST"]),
    ]
