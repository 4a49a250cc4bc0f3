"""Deliver webhooks the way Shopify does: signed, with its headers, retried on its (compressible) schedule.

Used by the demo, drills and tests to drive shopsync's webhook receiver. Delivery semantics follow
api-facts A1–A3: only 2xx counts, 1 s to connect and 5 s in total, 8 retries over 4 hours with exponential
spacing, the same webhook id and the same bytes on every retry, no ordering guarantee.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import httpx

from sandbox.shopify.signing import sign
from sandbox.shopify.webhook_payloads import SUPPORTED_TOPICS, build_delivery

__all__ = ["RETRY_DELAYS_SECONDS", "Delivery", "DeliveryResult", "WebhookSender", "build_delivery"]

DELIVERY_TIMEOUT: Final = httpx.Timeout(5.0, connect=1.0)
RETRY_COUNT: Final = 8
RETRY_WINDOW_SECONDS: Final = 4 * 3600
# Doubling gaps that add up to exactly the window: ~56 s, ~113 s, ... ~2 h.
RETRY_DELAYS_SECONDS: Final = tuple(
    RETRY_WINDOW_SECONDS * 2**attempt / (2**RETRY_COUNT - 1) for attempt in range(RETRY_COUNT)
)
USER_AGENT: Final = "Shopify-Captain-Hook"


@dataclass(frozen=True)
class Delivery:
    """One webhook to send; ids left None are generated when it is sent."""

    topic: str
    payload: Mapping[str, Any]
    webhook_id: str | None = None
    event_id: str | None = None
    triggered_at: datetime | None = None
    bad_signature: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one delivery: each attempt's status (None for a timeout or connection error)."""

    topic: str
    webhook_id: str
    event_id: str
    statuses: tuple[int | None, ...]

    @property
    def attempts(self) -> int:
        """How many times the delivery was sent (1 + retries)."""
        return len(self.statuses)

    @property
    def status(self) -> int | None:
        """The last attempt's status."""
        return self.statuses[-1]

    @property
    def delivered(self) -> bool:
        """Whether the receiver finally acknowledged with a 2xx."""
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """Sends signed Shopify webhooks to one address.

    Args:
        http: the client to send with (a starlette TestClient works too).
        address: the subscription's URI.
        secret: the app's client secret the receiver verifies with.
        shop_domain: sent as `X-Shopify-Shop-Domain`.
        api_version: sent as `X-Shopify-API-Version`.
        time_scale: multiplies every retry wait; 1/3600 turns Shopify's 4 hours into 4 seconds.
        sleep: called with each (scaled) wait; tests pass a recorder.
        clock: the time reported as `X-Shopify-Triggered-At` when a delivery does not carry one.
    """

    def __init__(
        self,
        http: httpx.Client,
        address: str,
        secret: str,
        shop_domain: str,
        api_version: str = "2026-04",
        time_scale: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._http = http
        self._address = address
        self._secret = secret
        self._shop_domain = shop_domain
        self._api_version = api_version
        self._time_scale = time_scale
        self._sleep = sleep
        self._clock = clock

    def deliver(
        self,
        topic: str,
        payload: Mapping[str, Any],
        webhook_id: str | None = None,
        bad_signature: bool = False,
        *,
        event_id: str | None = None,
        triggered_at: datetime | None = None,
    ) -> DeliveryResult:
        """Send one webhook, retrying until a 2xx or the 8 retries are spent.

        Args:
            topic: e.g. "orders/paid".
            payload: the JSON body; int64 ids stay exact JSON integers.
            webhook_id: `X-Shopify-Webhook-Id`; a fresh uuid when None. The same on every retry.
            bad_signature: sign with a wrong key, as a forged or misconfigured sender would.
            event_id: `X-Shopify-Event-Id`; a fresh uuid when None.
            triggered_at: `X-Shopify-Triggered-At`; the clock's now when None.

        Returns:
            Every attempt's status.
        """
        delivery = Delivery(topic, payload, webhook_id, event_id, triggered_at, bad_signature)
        return self._send(self._complete(delivery))

    def deliver_many(
        self,
        deliveries: Iterable[Delivery | tuple[str, Mapping[str, Any]]],
        duplicates: int = 1,
        shuffle_seed: int | None = None,
    ) -> list[DeliveryResult]:
        """Send several webhooks, each `duplicates` times with the same webhook id, optionally shuffled.

        Args:
            deliveries: Delivery objects or (topic, payload) pairs.
            duplicates: how often each delivery is sent (at-least-once: receivers see repeats).
            shuffle_seed: when given, the send order is a seeded shuffle (Shopify guarantees no order).

        Returns:
            One result per send, in the order they were sent.
        """
        if duplicates < 1:
            raise ValueError(f"duplicates must be >= 1, got {duplicates}")
        completed = [self._complete(_as_delivery(item)) for item in deliveries]
        queue = [delivery for delivery in completed for _ in range(duplicates)]
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(queue)
        return [self._send(delivery) for delivery in queue]

    def _complete(self, delivery: Delivery) -> Delivery:
        """Fix the ids and trigger time now, so duplicates and retries share them."""
        if delivery.topic not in SUPPORTED_TOPICS:
            raise ValueError(f"unsupported webhook topic {delivery.topic!r}")
        return replace(
            delivery,
            webhook_id=delivery.webhook_id or str(uuid.uuid4()),
            event_id=delivery.event_id or str(uuid.uuid4()),
            triggered_at=delivery.triggered_at or self._clock(),
        )

    def _send(self, delivery: Delivery) -> DeliveryResult:
        body = serialise_payload(delivery.payload)
        headers = self._headers(delivery, body)
        statuses: list[int | None] = []
        for retry in range(RETRY_COUNT + 1):
            status = self._attempt(body, headers)
            statuses.append(status)
            if status is not None and 200 <= status < 300:
                break
            if retry < RETRY_COUNT:
                self._sleep(RETRY_DELAYS_SECONDS[retry] * self._time_scale)
        return DeliveryResult(
            delivery.topic, str(delivery.webhook_id), str(delivery.event_id), tuple(statuses)
        )

    def _attempt(self, body: bytes, headers: Mapping[str, str]) -> int | None:
        request = self._http.build_request("POST", self._address, content=body, headers=headers)
        # Set per request rather than via `timeout=`, which starlette's TestClient rejects with a warning.
        request.extensions["timeout"] = DELIVERY_TIMEOUT.as_dict()
        try:
            response = self._http.send(request, follow_redirects=False)
        except httpx.TransportError:
            return None
        response.close()
        return response.status_code

    def _headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        key = self._secret + "-not-the-app-secret" if delivery.bad_signature else self._secret
        triggered_at = delivery.triggered_at or self._clock()
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(body, key),
            "X-Shopify-Shop-Domain": self._shop_domain,
            "X-Shopify-API-Version": self._api_version,
            "X-Shopify-Webhook-Id": str(delivery.webhook_id),
            "X-Shopify-Event-Id": str(delivery.event_id),
            "X-Shopify-Triggered-At": triggered_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }


def serialise_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; Python ints are written digit for digit, so int64 ids stay exact."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode(
        "utf-8"
    )


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} into a webhook body")


def _as_delivery(item: Delivery | tuple[str, Mapping[str, Any]]) -> Delivery:
    if isinstance(item, Delivery):
        return item
    topic, payload = item
    return Delivery(topic, payload)
