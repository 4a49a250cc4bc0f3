"""The Shopify webhook receiver: verify, store in the inbox, answer 200, and ask for a sync run.

Shopify gives a delivery 5 seconds and retries failures, so the request path does only what must happen
before we may say "got it": read the raw body (capped), check headers, HMAC, shop and JSON, and write one
inbox row. Prefect is asked for a run off the request path (see `run_trigger.py`); HubSpot is never called.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from deployments.receiver.inbox_writer import InboxWriter
from deployments.receiver.request_checks import (
    Rejection,
    check_content_type,
    parse_headers,
    parse_payload,
    read_capped_body,
    refuse_repeated_headers,
)
from deployments.receiver.run_trigger import PrefectRunTrigger, RunTrigger, privacy_run_trigger
from tasks.settings import Settings
from tasks.shopify.webhooks import WebhookHeaders, verify_hmac
from tasks.store.db import create_schema, make_engine, utcnow
from tasks.store.inbox import PRIVACY_QUEUE_TOPICS, QUEUED_TOPICS, Delivery, Inbox

MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/webhooks/shopify"

logger = logging.getLogger("shopsync.receiver")


def create_receiver_app(
    settings: Settings,
    inbox: Inbox,
    trigger: RunTrigger,
    *,
    clock: Callable[[], datetime] = utcnow,
    privacy_trigger: RunTrigger | None = None,
) -> Starlette:
    """Build the receiver ASGI app.

    Args:
        settings: Supplies the signing secrets (`SHOPIFY_WEBHOOK_SECRETS`, all tried) and the shop domain.
        inbox: Where verified deliveries are stored (concurrent ones share a transaction, see
            `inbox_writer.py`).
        trigger: Told about each newly accepted order delivery; must not block.
        clock: Source of `received_at` (tests pin it).
        privacy_trigger: Told about each newly accepted compliance request (the privacy flow's runs);
            None sends those to `trigger` too.

    Returns:
        A Starlette app serving `POST /webhooks/shopify` and `GET /healthz`.

    Raises:
        ConfigError: No webhook secret is configured, so no delivery could ever be verified.
    """
    secrets = settings.require_webhook_secrets()
    shops = {settings.shopify_shop_domain.strip().lower()}
    writer = InboxWriter(inbox)

    async def receive(request: Request) -> JSONResponse:
        received_at = clock()
        try:
            refuse_repeated_headers(request)
            body = await read_capped_body(request, MAX_BODY_BYTES)
            headers = parse_headers(request)
            if not verify_hmac(body, headers.hmac_sha256, secrets):
                raise Rejection(401, "invalid_hmac", "HMAC verification failed")
            if headers.shop_domain.lower() not in shops:
                raise Rejection(403, "unknown_shop", f"shop domain {headers.shop_domain!r} is not configured")
            check_content_type(request.headers.get("content-type"))
            delivery = _delivery(headers, body, received_at)
        except Rejection as rejection:
            logger.info(
                "webhook rejected: %s %s (webhook_id=%r)",
                rejection.status_code,
                rejection.error,
                request.headers.get("x-shopify-webhook-id", "")[:100],
            )
            return rejection.response()
        except ClientDisconnect:
            # Nobody is left to answer and nothing was stored; Shopify retries a delivery it did not finish.
            logger.warning(
                "webhook not received: client disconnected mid-body (webhook_id=%r)",
                request.headers.get("x-shopify-webhook-id", "")[:100],
            )
            return JSONResponse(
                {"error": "client_disconnected", "detail": "body incomplete"}, status_code=400
            )
        wanted = privacy_trigger if privacy_trigger and delivery.topic in PRIVACY_QUEUE_TOPICS else trigger
        return await _store(writer, wanted, delivery)

    async def healthz(_request: Request) -> JSONResponse:
        try:
            pending = await run_in_threadpool(inbox.pending_count)
        except SQLAlchemyError:
            logger.exception("health check: the inbox database is unreachable")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "pending": pending})

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _delivery(headers: WebhookHeaders, body: bytes, received_at: datetime) -> Delivery:
    payload, order_id = parse_payload(body, headers.topic)
    return Delivery(
        webhook_id=headers.webhook_id,
        topic=headers.topic,
        shop_domain=headers.shop_domain.lower(),
        received_at=received_at,
        payload=payload,
        api_version=headers.api_version,
        triggered_at=headers.triggered_at,
        event_id=headers.event_id,
        order_id=order_id,
        status="pending" if headers.topic in QUEUED_TOPICS else "ignored",
    )


async def _store(writer: InboxWriter, trigger: RunTrigger, delivery: Delivery) -> JSONResponse:
    try:
        added = await writer.add(delivery)
    except SQLAlchemyError:
        # Not stored, so not acknowledged: Shopify retries the delivery later.
        logger.exception("inbox write failed for webhook %s", delivery.webhook_id)
        detail = "the delivery could not be stored; retry later"
        return JSONResponse({"error": "inbox_unavailable", "detail": detail}, status_code=503)
    outcome = "duplicate" if not added else ("accepted" if delivery.status == "pending" else "ignored")
    if outcome == "accepted":
        _notify(trigger, delivery)
    # No order id: a customer's redaction cannot reach log files, so the log names the webhook only.
    logger.info(
        "webhook %s topic=%s api_version=%s: %s",
        delivery.webhook_id,
        delivery.topic,
        delivery.api_version,
        outcome,
    )
    return JSONResponse({"status": outcome, "webhook_id": delivery.webhook_id})


def _notify(trigger: RunTrigger, delivery: Delivery) -> None:
    try:
        trigger.request_sync(delivery.received_at)
    except Exception:
        # The delivery is already durable and the periodic drain will sync it; a trigger fault must not turn
        # a stored delivery into a failed acknowledgement (Shopify would retry and eventually drop the hook).
        logger.exception("run trigger failed for webhook %s; left for the drain", delivery.webhook_id)


def run_receiver(host: str, port: int, settings: Settings, trigger: RunTrigger | None = None) -> None:
    """Serve the receiver with uvicorn until interrupted.

    Args:
        host: Interface to bind.
        port: Port to bind.
        settings: Database URL, webhook secrets and shop domain.
        trigger: How to request sync runs; defaults to a `PrefectRunTrigger` (needs `PREFECT_API_URL`).
    """
    engine = make_engine(settings.sqlalchemy_url)
    create_schema(engine)
    run_trigger = trigger if trigger is not None else PrefectRunTrigger()
    privacy_trigger = privacy_run_trigger() if trigger is None else None
    app = create_receiver_app(settings, Inbox(engine), run_trigger, privacy_trigger=privacy_trigger)
    try:
        # Our own line per delivery replaces the access log (which would double every line).
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=_log_config())
    finally:
        for started in (run_trigger, privacy_trigger):
            if isinstance(started, PrefectRunTrigger):
                started.close()
        engine.dispose()


def _log_config() -> dict[str, Any]:
    """uvicorn's logging setup plus our `shopsync.*` loggers at INFO through its default handler."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["shopsync"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
