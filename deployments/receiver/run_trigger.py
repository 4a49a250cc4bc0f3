"""How the receiver asks Prefect for a sync run without making Shopify wait for Prefect.

Deliveries are grouped into fixed windows of W seconds: window k covers [k*W, (k+1)*W). Every delivery of a
window asks for the same flow run (idempotency key `shopify-sync:<k>`), scheduled for the moment the window
closes, so a burst of webhooks becomes one run that sees all of them. The request happens on a background
thread; when Prefect is unreachable the deliveries simply wait in the inbox for the periodic drain.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.settings import PREFECT_API_URL
from prefect.states import Scheduled

DEFAULT_DEPLOYMENT = "sync-shopify-orders/sync-shopify-orders"
# Compliance requests (customers/redact, shop/redact, customers/data_request) start the privacy flow instead.
PRIVACY_DEPLOYMENT = "privacy-requests/privacy-requests"
SYNC_KEY_PREFIX, PRIVACY_KEY_PREFIX = "shopify-sync", "shopify-privacy"
RUN_TAGS = ["shopify-webhook"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Windows already requested are remembered only briefly: deliveries arrive in (roughly) time order.
_REMEMBERED_WINDOWS = 64

logger = logging.getLogger("shopsync.run_trigger")


class RunTrigger(Protocol):
    """Something that gets a sync run started soon after a delivery was stored; must return immediately."""

    def request_sync(self, received_at: datetime) -> None:
        """Ask for a sync run covering a delivery received at `received_at` (aware)."""


@dataclass(frozen=True)
class SyncWindow:
    """One coalescing window: every delivery received in it is handled by one flow run."""

    index: int
    closes_at: datetime
    key_prefix: str = SYNC_KEY_PREFIX

    @property
    def idempotency_key(self) -> str:
        """The Prefect idempotency key shared by every request for this window."""
        return f"{self.key_prefix}:{self.index}"


def sync_window(
    received_at: datetime, window_seconds: float, key_prefix: str = SYNC_KEY_PREFIX
) -> SyncWindow:
    """The window a delivery falls in, computed in whole microseconds so boundaries never drift.

    Args:
        received_at: When the delivery was received (aware).
        window_seconds: The window length W.

    Returns:
        Window k = floor(t / W), closing at (k + 1) * W.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    window = round(window_seconds * 1_000_000)
    if window <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}")
    index = ((received_at - _EPOCH) // _MICROSECOND) // window
    closes_at = _EPOCH + (index + 1) * window * _MICROSECOND
    return SyncWindow(index=index, closes_at=closes_at, key_prefix=key_prefix)


class NullRunTrigger:
    """Records requests and starts nothing (tests, and running the receiver without Prefect)."""

    def __init__(self) -> None:
        self.requests: list[datetime] = []

    def request_sync(self, received_at: datetime) -> None:
        """Remember the request."""
        self.requests.append(received_at)


def privacy_run_trigger() -> PrefectRunTrigger:
    """The trigger for compliance requests: runs of the privacy flow, keyed apart from the order sync's."""
    return PrefectRunTrigger(PRIVACY_DEPLOYMENT, key_prefix=PRIVACY_KEY_PREFIX)


class PrefectRunTrigger:
    """Creates one Scheduled flow run per window of deliveries from a background thread.

    The Prefect settings in effect where the trigger is created (e.g. `temporary_settings`, which live in a
    context variable) are the ones its thread uses. Without a `PREFECT_API_URL` it requests nothing rather
    than start a temporary Prefect server inside the receiver.
    """

    def __init__(
        self,
        deployment_name: str = DEFAULT_DEPLOYMENT,
        window_seconds: float = 2.0,
        request_timeout: float = 5.0,
        key_prefix: str = SYNC_KEY_PREFIX,
    ) -> None:
        self._deployment_name = deployment_name
        self._key_prefix = key_prefix
        self._window_seconds = window_seconds
        self._request_timeout = request_timeout
        self._deployment_id: UUID | None = None
        self._windows: queue.SimpleQueue[SyncWindow | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._requested: OrderedDict[int, None] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._context = contextvars.copy_context()

    def request_sync(self, received_at: datetime) -> None:
        """Queue a run request for the delivery's window, unless that window is already queued or done."""
        window = sync_window(received_at, self._window_seconds, self._key_prefix)
        with self._lock:
            if window.index in self._pending or window.index in self._requested:
                return
            self._pending.add(window.index)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._context.run, args=(self._serve,), name="prefect-run-trigger", daemon=True
                )
                self._thread.start()
        self._windows.put(window)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the queued requests and stop the background thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._windows.put(None)
            thread.join(timeout)

    def _serve(self) -> None:
        while (window := self._windows.get()) is not None:
            self._request_run(window)

    def _request_run(self, window: SyncWindow) -> None:
        if not PREFECT_API_URL.value():
            logger.error("PREFECT_API_URL is not set: no sync run requested for %s", window.idempotency_key)
            self._forget(window)
            return
        try:
            with get_client(sync_client=True, httpx_settings={"timeout": self._request_timeout}) as client:
                run_id = self._create_run(client, window)
        except Exception:
            # Deliberately not raised: the deliveries are already durable in the inbox, and the periodic drain
            # run will pick them up once Prefect is back. Raising here would only kill the trigger thread.
            self._deployment_id = None
            logger.warning(
                "could not request sync run %s from Prefect; deliveries stay pending in the inbox",
                window.idempotency_key,
                exc_info=True,
            )
            self._forget(window)
            return
        logger.info("requested sync run %s (%s) for %s", run_id, window.idempotency_key, window.closes_at)
        with self._lock:
            self._pending.discard(window.index)
            self._requested[window.index] = None
            while len(self._requested) > _REMEMBERED_WINDOWS:
                self._requested.popitem(last=False)

    def _forget(self, window: SyncWindow) -> None:
        with self._lock:
            self._pending.discard(window.index)

    def _create_run(self, client: SyncPrefectClient, window: SyncWindow) -> UUID:
        if self._deployment_id is None:
            self._deployment_id = client.read_deployment_by_name(self._deployment_name).id
        run = client.create_flow_run_from_deployment(
            self._deployment_id,
            idempotency_key=window.idempotency_key,
            state=Scheduled(scheduled_time=window.closes_at),
            tags=RUN_TAGS,
        )
        return run.id
