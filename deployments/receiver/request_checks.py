"""What a request to the receiver must be before it is stored, and the precise 4xx when it is not.

Checked in this order by `app.py`: no repeated security header, a body within the cap, the four Shopify
headers, (the HMAC and shop, in `app.py`), a JSON media type, and a body that is a JSON object naming its
order with a positive int64 id. Each refusal is a `Rejection` carrying the status, an error code and a detail
that says exactly what was wrong.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

from tasks.shopify.webhooks import WebhookHeaderError, WebhookHeaders, repeated_headers

_INT64_MAX = 2**63 - 1
# The payload field that names the order, per topic family; other topics carry no order we act on.
_ORDER_ID_FIELD = {"refunds/create": "order_id"}


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


def refuse_repeated_headers(request: Request) -> None:
    """400 when a header that decides what we trust (signature, shop, topic, id) comes more than once."""
    repeated = repeated_headers(request.headers.items())
    if repeated:
        detail = f"header {', '.join(repeated)} appears more than once; send exactly one copy"
        raise Rejection(400, "ambiguous_headers", detail)


def parse_headers(request: Request) -> WebhookHeaders:
    try:
        return WebhookHeaders.parse(request.headers)
    except WebhookHeaderError as error:
        raise Rejection(400, "invalid_headers", str(error)) from None
