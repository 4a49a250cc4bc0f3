"""Authentication to the Admin API: a static access token, or the client-credentials grant.

Apps created in the Dev Dashboard get a client id and secret instead of a token; they exchange them at
`POST https://{shop}/admin/oauth/access_token` (grant_type=client_credentials) for a token that lasts about
24 hours (api-facts A5). `ClientCredentialsAuth` keeps that token in a process-wide cache, renews it shortly
before it expires, and once more if Shopify answers 401 to it (revoked, or expired early). The token and the
secret are `SecretStr` from end to end: no log line, repr or exception message ever shows them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError

__all__ = [
    "PROCESS_TOKENS",
    "ClientCredentialsAuth",
    "ShopifyAuth",
    "ShopifyAuthFailed",
    "TokenCache",
    "token_url_for",
]

TOKEN_HEADER = "X-Shopify-Access-Token"
TOKEN_PATH = "/admin/oauth/access_token"
# Renew this long before expiry (a tenth of the lifetime for short-lived tokens), so a request never leaves
# with a token that expires on its way.
_REFRESH_MARGIN_SECONDS = 300.0
_logger = logging.getLogger(__name__)


class ShopifyAuthFailed(ShopifyFetchFailed):
    """Shopify refused the app's client credentials (wrong id or secret, or the app is not installed)."""


class ShopifyAuth(httpx.Auth):
    """Sends a static Admin API access token as `X-Shopify-Access-Token` on every request."""

    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    def auth_flow(self, request: httpx.Request) -> Any:
        """Add the token header and send the request."""
        request.headers[TOKEN_HEADER] = self._access_token
        yield request


def token_url_for(graphql_url: str) -> str:
    """The token endpoint on the same host as the Admin GraphQL endpoint (the shop, or the sandbox)."""
    parts = urlsplit(graphql_url)
    return urlunsplit((parts.scheme, parts.netloc, TOKEN_PATH, "", ""))


_Key = tuple[str, str, str]


@dataclass(frozen=True)
class _Grant:
    token: SecretStr
    renew_at: float


class TokenCache:
    """Access tokens by (token URL, client id, secret digest), shared by every client and thread.

    Each key has its own lock, held while a token is fetched, so threads that need a token at the same time
    wait for one grant instead of each asking Shopify for its own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._guard = threading.Lock()
        self._locks: dict[_Key, threading.Lock] = {}
        self._grants: dict[_Key, _Grant] = {}

    def lock(self, key: _Key) -> threading.Lock:
        """The lock to hold while checking and renewing the token of `key`."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def current(self, key: _Key) -> SecretStr | None:
        """The cached token, or None when there is none or it is due for renewal."""
        grant = self._grants.get(key)
        if grant is None or self.clock() >= grant.renew_at:
            return None
        return grant.token

    def store(self, key: _Key, token: SecretStr, expires_in: float | None) -> None:
        """Cache a token that Shopify says lasts `expires_in` seconds (None: until it is refused)."""
        if expires_in is None:
            renew_at = float("inf")
        else:
            renew_at = self.clock() + expires_in - min(_REFRESH_MARGIN_SECONDS, expires_in / 10)
        self._grants[key] = _Grant(token, renew_at)

    def clear(self) -> None:
        """Forget every token (tests; a process that rotated its secret)."""
        with self._guard:
            self._grants.clear()


PROCESS_TOKENS = TokenCache()


class ClientCredentialsAuth(httpx.Auth):
    """Sends a token obtained with the client-credentials grant; renews it before expiry and once on 401.

    The grant request is yielded through the same `httpx.Client`, so it uses the client's transport (the
    sandbox in tests). Failures to reach the token endpoint propagate to the caller's retry layer: transport
    errors as they are, 429 and 5xx as `RetryableError`; a refusal is `ShopifyAuthFailed`.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        cache: TokenCache = PROCESS_TOKENS,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._cache = cache
        # The secret's digest is part of the key: a token granted to other credentials is never reused.
        digest = hashlib.sha256(client_secret.get_secret_value().encode()).hexdigest()
        self._key = (token_url, client_id, digest)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send `request` with a current token; on 401, renew the token once and send it again."""
        token = yield from self._token(refused=None)
        request.headers[TOKEN_HEADER] = token.get_secret_value()
        response = yield request
        if response.status_code != 401:
            return
        # Only the refresh is repeated here, exactly once: a second 401 goes back to the caller as it is.
        token = yield from self._token(refused=token)
        request.headers[TOKEN_HEADER] = token.get_secret_value()
        yield request

    def _token(self, refused: SecretStr | None) -> Generator[httpx.Request, httpx.Response, SecretStr]:
        """The cached token unless it is due or was just `refused`; otherwise a fresh grant.

        The lock is held across the grant request: httpx closes this generator (and so releases the lock)
        whether the request succeeds or raises.
        """
        with self._cache.lock(self._key):
            cached = self._cache.current(self._key)
            if cached is not None and (
                refused is None or cached.get_secret_value() != refused.get_secret_value()
            ):
                return cached
            response = yield self._grant_request()
            response.read()
            token, expires_in = self._parse_grant(response)
            self._cache.store(self._key, token, expires_in)
            _logger.info(
                "Obtained a Shopify access token for %s (valid %s)",
                urlsplit(self._token_url).netloc,
                f"{expires_in:.0f} s" if expires_in is not None else "until revoked",
            )
            return token

    def _grant_request(self) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        return httpx.Request("POST", self._token_url, data=form, headers={"Accept": "application/json"})

    def _parse_grant(self, response: httpx.Response) -> tuple[SecretStr, float | None]:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableError(f"Shopify's token endpoint answered HTTP {status}")
        body = _json_object(response)
        if status != 200:
            reason = " ".join(str(body.get(key, "")) for key in ("error", "error_description")).strip()
            reason = reason or repr(response.text[:200])
            raise ShopifyAuthFailed(
                f"Shopify refused the client credentials (HTTP {status} {reason}): "
                f"check SHOPIFY_CLIENT_ID / SHOPIFY_CLIENT_SECRET and that the app is installed on the shop"
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ShopifyAuthFailed("Shopify's token endpoint answered 200 without an access_token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else None
        return SecretStr(token), lifetime


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
