"""Shopify webhook signatures: base64 HMAC-SHA256 of the raw body, keyed with the app's client secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def sign(body: bytes, secret: str | bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value for `body` (exact bytes, never re-serialised JSON)."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def verify(body: bytes, header: str, secrets: Iterable[str | bytes]) -> bool:
    """Whether `header` signs `body` under any of `secrets` (current and previous, during a rotation).

    Compares in constant time, so a timing side channel does not leak the signature byte by byte.
    """
    presented = header.encode("utf-8")
    return any(hmac.compare_digest(sign(body, secret).encode("ascii"), presented) for secret in secrets)
