"""What a hostile webhook request is, and the shop it is aimed at (shared by the fuzz strategies).

Every strategy changes one thing about a genuine delivery (or, for `chaos`, everything at once), so the
answer the receiver owes follows from how the request was made, not from re-running the receiver's checks.
Requests that must be refused carry webhook ids starting with `REFUSED_PREFIX`, so a drill can prove that
none of them reached the inbox.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from sandbox.shopify.signing import sign

REFUSED_PREFIX = "refused-"
SIGNED_PREFIX = "signed-"
# Signed, well-formed JSON whose order is impossible: stored (200), and must end `failed` naming the field.
IMPOSSIBLE_PREFIX = "impossible-"
SYNC_TOPICS = ("orders/paid", "orders/updated", "orders/cancelled", "refunds/create")
_ids = itertools.count()
# Printable ASCII without CR/LF: what an HTTP/1.1 header value can carry through httpx.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@dataclass(frozen=True)
class HostileRequest:
    """One request and what the receiver must answer: a status, the error code of a 4xx, and the id.

    `headers` is a list of pairs when a name repeats; `failed_field` is the field a stored delivery's
    failure must name once the sync has seen it.
    """

    body: bytes | Sequence[bytes]
    headers: Mapping[str, str] | Sequence[tuple[str, str]]
    status: int
    error: str | None
    webhook_id: str
    failed_field: str | None = None

    @property
    def refused(self) -> bool:
        """Whether the receiver must answer 4xx and store nothing."""
        return self.status >= 400

    def content(self) -> bytes | Iterator[bytes]:
        """The body as sent: bytes (with Content-Length) or chunks (streamed, no Content-Length)."""
        return self.body if isinstance(self.body, bytes) else iter(self.body)


def new_webhook_id(prefix: str = REFUSED_PREFIX) -> str:
    """A webhook id no other request of the drill uses."""
    return f"{prefix}{next(_ids)}"


def genuine_headers(body: bytes, secret: str, shop: str, topic: str, webhook_id: str) -> dict[str, str]:
    """What Shopify sends with `body`."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Triggered-At": "2026-04-01T15:59:59.5Z",
        "X-Shopify-Event-Id": f"evt-{webhook_id}",
    }


@dataclass(frozen=True)
class Shop:
    """The installation the requests are aimed at: its signing secret, its domain and real order payloads."""

    secret: str
    domain: str
    orders: Sequence[Mapping[str, Any]]

    def body_of(self, index: int) -> bytes:
        """A real order payload, serialised as Shopify does."""
        return json.dumps(self.orders[index % len(self.orders)], separators=(",", ":")).encode()

    def headers(
        self, body: bytes, topic: str = "orders/paid", webhook_id: str | None = None
    ) -> dict[str, str]:
        """Genuine headers for `body` (a refused-prefixed webhook id unless one is given)."""
        return genuine_headers(body, self.secret, self.domain, topic, webhook_id or new_webhook_id())


def order_body(shop: Shop) -> st.SearchStrategy[bytes]:
    """One of the shop's real order payloads."""
    return st.integers(min_value=0, max_value=10_000).map(shop.body_of)


def disconnect_mid_body(
    address: tuple[str, int], path: str, headers: Mapping[str, str], body: bytes, sent: int, *, chunked: bool
) -> None:
    """Send the request line, every header and only `sent` bytes of `body`, then close the socket.

    That is a client (or a proxy) dropping the connection mid-upload: the server has the whole head, so the
    request reaches the app, whose body read then ends in a disconnect.
    """
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = [f"POST {path} HTTP/1.1", f"Host: {address[0]}:{address[1]}", framing]
    head += [f"{name}: {value}" for name, value in headers.items()]
    part = (b"%x\r\n" % len(body) if chunked else b"") + body[:sent]
    with socket.create_connection(address, timeout=5) as connection:
        connection.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + part)
