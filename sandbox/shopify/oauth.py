"""The client-credentials grant of a Dev Dashboard app, and which access tokens the sandbox accepts.

`POST /admin/oauth/access_token` takes `grant_type=client_credentials`, `client_id` and `client_secret` as a
form (Shopify's docs) or as JSON (what shopify-app-js sends) and answers
`{"access_token", "scope", "expires_in"}`. Wrong credentials get 400 `invalid_client`, the answer
shopify-app-js's tests model (`lib/auth/oauth/__tests__/client-credentials.test.ts`). Issued tokens expire
after `token_lifetime_seconds` on the sandbox clock; an expired one gets the same 401 as a wrong token.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.shopify.config import ShopifySandboxConfig

TOKEN_PATH = "/admin/oauth/access_token"
TokenState = Literal["valid", "expired", "unknown"]


@dataclass
class TokenIssuer:
    """Tokens granted so far and what happened to them (the counters show in `/_sandbox/state`)."""

    config: ShopifySandboxConfig
    grants: int = 0
    refused_grants: int = 0
    expired_rejections: int = 0
    _expires_at: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer one token request: (status, body)."""
        if form.get("grant_type") != "client_credentials":
            return 400, _oauth_error("unsupported_grant_type", "Only client_credentials is supported here")
        config = self.config
        if form.get("client_id") != config.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), config.client_secret
        ):
            with self._lock:
                self.refused_grants += 1
            return 400, _oauth_error("invalid_client", "Client authentication failed")
        token = f"sandbox-cc-{secrets.token_hex(16)}"
        with self._lock:
            self.grants += 1
            self._expires_at[token] = config.clock() + config.token_lifetime_seconds
        return 200, {
            "access_token": token,
            "scope": ",".join(config.granted_scopes),
            "expires_in": int(config.token_lifetime_seconds),
        }

    def check(self, token: str | None) -> TokenState:
        """Whether `token` is the static token or an unexpired granted one."""
        if token is None:
            return "unknown"
        if secrets.compare_digest(token, self.config.access_token):
            return "valid"
        expires_at = self._expires_at.get(token)
        if expires_at is None:
            return "unknown"
        if self.config.clock() < expires_at:
            return "valid"
        with self._lock:
            self.expired_rejections += 1
        return "expired"

    def expire_all(self) -> int:
        """End every granted token now (as rotating the client secret does); returns how many."""
        now = self.config.clock()
        with self._lock:
            live = [token for token, at in self._expires_at.items() if at > now]
            for token in live:
                self._expires_at[token] = now
        return len(live)

    def reset(self) -> None:
        """Forget every grant and counter."""
        with self._lock:
            self._expires_at.clear()
            self.grants = self.refused_grants = self.expired_rejections = 0

    def stats(self) -> dict[str, int]:
        """Counters for `/_sandbox/state`."""
        now = self.config.clock()
        return {
            "grants": self.grants,
            "refused_grants": self.refused_grants,
            "expired_rejections": self.expired_rejections,
            "live_tokens": sum(1 for at in self._expires_at.values() if at > now),
        }


def _oauth_error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}


def oauth_routes(issuer: TokenIssuer) -> list[BaseRoute]:
    """`POST /admin/oauth/access_token` and `POST /_sandbox/oauth/expire`."""

    async def access_token(request: Request) -> Response:
        status, body = issuer.grant(await _form(request))
        return JSONResponse(body, status_code=status)

    async def expire(_request: Request) -> Response:
        return JSONResponse({"expired": issuer.expire_all()})

    return [
        Route(TOKEN_PATH, access_token, methods=["POST"]),
        Route("/_sandbox/oauth/expire", expire, methods=["POST"]),
    ]
