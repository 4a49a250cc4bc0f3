"""The Shopify webhook receiver: verify, store in the inbox, answer 200, and ask for a sync run.

Shopify gives a delivery 5 seconds and retries failures, so the request path does only what must happen
before we may say "got it": read the raw body (capped), check headers, HMAC, shop and JSON, and write one
inbox row. Prefect is asked for a run off the request path (see `run_trigger.py`); HubSpot is never called.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn

import orjson
import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from deployments.receiver.inbox_writer import InboxWriter
from deployments.receiver.run_trigger import PrefectRunTrigger, RunTrigger, privacy_run_trigger
from tasks.settings import Settings
from tasks.shopify.webhooks import WebhookHeaderError, WebhookHeaders, repeated_headers, verify_hmac
from tasks.store.db import create_schema, make_engine, utcnow
from tasks.store.inbox import PRIVACY_QUEUE_TOPICS, QUEUED_TOPICS, Delivery, Inbox

MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/webhooks/shopify"
_INT64_MAX = 2**63 - 1
# The payload field that names the order, per topic family; other topics carry no order we act on.
_ORDER_ID_FIELD = {"refunds/create": "order_id"}

logger = logging.getLogger("shopsync.receiver")


class Rejection(Exception):
    """A delivery we refuse with a 4xx; `detail` says exactly what was wrong."""

    def __init__(self, status_code: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.error = error
        self.detail = detail

    def response(self) -> JSONResponse:
        """The JSON error body Shopify (and whoever reads its delivery log) sees."""
        return JSONResponse({"error": self.error, "detail": self.detail}, status_code=self.status_code)


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
            _refuse_repeated_headers(request)
            body = await read_capped_body(request, MAX_BODY_BYTES)
            headers = _parse_headers(request)
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


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) as soon as it is known to exceed `limit` bytes.

    A declared Content-Length over the limit is refused before reading anything; a missing or understated
    one is still caught while streaming, so memory never holds more than one chunk past the limit.
    """
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> NoReturn:
    raise Rejection(413, "payload_too_large", f"body is larger than {limit} bytes")


def check_content_type(content_type: str | None) -> None:
    """Accept an absent Content-Type or any JSON media type; anything else is a 415."""
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        detail = f"Content-Type must be application/json, got {content_type!r}"
        raise Rejection(415, "unsupported_media_type", detail)


def parse_payload(body: bytes, topic: str) -> tuple[str, int | None]:
    """Decode the body as a JSON object and find the order it concerns.

    Args:
        body: The verified raw body.
        topic: The delivery topic; `orders/*` payloads must carry an integer `id`, `refunds/create` an
            integer `order_id`.

    Returns:
        The body as text (stored verbatim, so int64 ids stay exact) and the order id, if the topic has one.

    Raises:
        Rejection: 400 with the precise reason.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejection(
            400, "invalid_body", f"body is not valid UTF-8 (at byte offset {error.start})"
        ) from None
    try:
        payload = _decode_json(body, text)
    except ValueError as error:
        raise Rejection(400, "invalid_body", f"body is not valid JSON: {error}") from None
    except RecursionError:
        # Deep nesting fits easily in the size cap and exhausts the decoder's recursion limit.
        raise Rejection(400, "invalid_body", "body is not valid JSON: nested too deeply") from None
    if not isinstance(payload, dict):
        raise Rejection(400, "invalid_body", f"body must be a JSON object, got {_json_type(payload)}")
    field = _ORDER_ID_FIELD.get(topic, "id" if topic.startswith("orders/") else None)
    if field is None:
        return text, None
    return text, _order_id(payload, field)


def _decode_json(body: bytes, text: str) -> Any:
    """The decoded body: orjson's answer when it has one, else exactly what `json.loads` says.

    orjson decodes a webhook in about a quarter of the stdlib's time (the largest cost of the handler). It
    refuses a little more than the stdlib (NaN, integers past 64 bits, lone surrogates); for those bodies and
    for every broken one, the stdlib decides, so what is accepted and every error message stay the same.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(text, parse_constant=_reject_constant)


def _order_id(payload: dict[str, Any], field: str) -> int:
    value = payload.get(field)
    # bool is an int subclass, and a float id has already lost digits above 2**53.
    if not isinstance(value, int) or isinstance(value, bool):
        raise Rejection(400, "invalid_body", f"payload.{field} must be an integer")
    if not 0 < value <= _INT64_MAX:
        raise Rejection(400, "invalid_body", f"payload.{field} must be a positive 64-bit integer")
    return value


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value")


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _refuse_repeated_headers(request: Request) -> None:
    """400 when a header that decides what we trust (signature, shop, topic, id) comes more than once."""
    repeated = repeated_headers(request.headers.items())
    if repeated:
        detail = f"header {', '.join(repeated)} appears more than once; send exactly one copy"
        raise Rejection(400, "ambiguous_headers", detail)


def _parse_headers(request: Request) -> WebhookHeaders:
    try:
        return WebhookHeaders.parse(request.headers)
    except WebhookHeaderError as error:
        raise Rejection(400, "invalid_headers", str(error)) from None


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
