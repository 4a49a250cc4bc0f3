"""Webhook delivery checks: the HMAC signature over the raw body, and the delivery headers we rely on."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from tasks.errors import SyncError

__all__ = ["WebhookHeaderError", "WebhookHeaders", "repeated_headers", "verify_hmac"]


class WebhookHeaderError(SyncError):
    """A webhook delivery lacks a required Shopify header or carries a malformed one."""


def verify_hmac(raw_body: bytes, header_value: str | None, secrets: Sequence[SecretStr]) -> bool:
    """Whether `X-Shopify-Hmac-Sha256` signs these exact bytes with one of the secrets.

    Every secret is tried (current and previous, for the hour after a rotation), each compared in constant
    time. Garbage (a missing header, hex instead of base64, non-ASCII) simply fails; this never raises.

    Args:
        raw_body: The request body exactly as received, before any JSON parsing.
        header_value: The `X-Shopify-Hmac-Sha256` header, or None when absent.
        secrets: The app's signing secrets; empty ones are ignored.

    Returns:
        True when one secret produces the header's base64 HMAC-SHA256.
    """
    if not header_value:
        return False
    received = header_value.strip().encode("utf-8", errors="replace")
    matches = [
        hmac.compare_digest(_signature(raw_body, secret.get_secret_value()), received)
        for secret in secrets
        if secret.get_secret_value()
    ]
    return any(matches)


def _signature(raw_body: bytes, secret: str) -> bytes:
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest)


REQUIRED_HEADERS = (
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
)


def repeated_headers(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The required Shopify headers that a request carries more than once, in `REQUIRED_HEADERS` order.

    Names compare case-insensitively, and `X-Shopify-Topic` and `Shopify-Topic` are one header (both are
    read). Two copies are ambiguous even when one is valid: a proxy, a WAF and this receiver may each pick
    a different copy, so whatever one of them checked is not what another acts on.

    Args:
        pairs: Every (name, value) pair of the request, repeats included (Starlette's `headers.items()`).
    """
    counts = Counter(name.lower().removeprefix("x-") for name, _ in pairs)
    return [name for name in REQUIRED_HEADERS if counts[name.lower().removeprefix("x-")] > 1]


@dataclass(frozen=True)
class WebhookHeaders:
    """The Shopify headers of one delivery. `webhook_id` is the dedup key (unique per delivery)."""

    hmac_sha256: str
    topic: str
    shop_domain: str
    webhook_id: str
    api_version: str | None = None
    triggered_at: datetime | None = None
    event_id: str | None = None

    @classmethod
    def parse(cls, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> WebhookHeaders:
        """Read the delivery headers, whatever their case.

        `shopify-*` names (used by the newer Events deliveries) are accepted as well as `x-shopify-*`.

        Args:
            headers: A mapping (e.g. Starlette `Headers`, a dict) or (name, value) pairs.

        Returns:
            The parsed headers.

        Raises:
            WebhookHeaderError: "missing header X-Shopify-Topic", or a malformed X-Shopify-Triggered-At.
        """
        found = _lowercased(headers)
        missing = [name for name in REQUIRED_HEADERS if _header(found, name) is None]
        if missing:
            raise WebhookHeaderError(f"missing header {', '.join(missing)}")
        return cls(
            hmac_sha256=_required_header(found, "X-Shopify-Hmac-Sha256"),
            topic=_required_header(found, "X-Shopify-Topic"),
            shop_domain=_required_header(found, "X-Shopify-Shop-Domain"),
            webhook_id=_required_header(found, "X-Shopify-Webhook-Id"),
            api_version=_header(found, "X-Shopify-API-Version"),
            triggered_at=_triggered_at(_header(found, "X-Shopify-Triggered-At")),
            event_id=_header(found, "X-Shopify-Event-Id"),
        )


def _lowercased(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    # HTTP/2 lowercases header names and HTTP/1.1 senders may use any case.
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name.lower(): value for name, value in pairs}


# The inbox stores these headers in bounded columns; a longer value is refused with a precise 400 rather
# than failing the database write (a 5xx Shopify would retry for hours).
_MAX_HEADER_LENGTH = 255
_MAX_LENGTHS = {"x-shopify-api-version": 32}


def _header(found: Mapping[str, str], name: str) -> str | None:
    """A header's stripped value under its `x-shopify-*` or `shopify-*` name; blank counts as missing."""
    lowered = name.lower()
    value = found.get(lowered) or found.get(lowered.removeprefix("x-"))
    if not value or not value.strip():
        return None
    limit = _MAX_LENGTHS.get(lowered, _MAX_HEADER_LENGTH)
    if len(value.strip()) > limit:
        raise WebhookHeaderError(f"header {name} is longer than {limit} characters")
    return value.strip()


def _required_header(found: Mapping[str, str], name: str) -> str:
    value = _header(found, name)
    if value is None:
        raise WebhookHeaderError(f"missing header {name}")
    return value


def _triggered_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WebhookHeaderError(f"malformed header X-Shopify-Triggered-At: {value!r}") from None
    if parsed.utcoffset() is None:
        raise WebhookHeaderError(f"malformed header X-Shopify-Triggered-At (no UTC offset): {value!r}")
    try:
        # An offset can push year 1 or 9999 out of range in UTC, where the inbox stores it.
        parsed.astimezone(UTC)
    except OverflowError:
        raise WebhookHeaderError(
            f"malformed header X-Shopify-Triggered-At (out of range): {value!r}"
        ) from None
    return parsed
