"""`POST /oauth/v2/private-apps/get/access-token-info`: which portal and scopes a token has.

HubSpot's private-app docs describe it: the body `{"tokenKey": "<token>"}` (the bearer header too, which
EU tokens need) answers `{"userId", "hubId", "appId", "scopes"}`, and the endpoint needs no scope itself.
What it answers for an unknown token is unverified; the sandbox answers the same 401 as every endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.hubspot.errors import (
    PORTAL_ID,
    HubSpotError,
    error_response,
    expired_authentication,
    invalid_authentication,
)
from sandbox.hubspot.wire import SandboxContext, json_body

TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"
SANDBOX_APP_ID = 3141592
SANDBOX_USER_ID = 2718281


def token_info_routes(ctx: SandboxContext) -> list[BaseRoute]:
    """The token-info route over the sandbox's configured token and scopes."""

    async def token_info(request: Request) -> Response:
        try:
            token = (await json_body(request)).get("tokenKey")
        except HubSpotError as error:
            return error_response(error)
        if token in ctx.config.expired_tokens:
            return error_response(expired_authentication(datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC)))
        if not isinstance(token, str) or token != ctx.config.access_token:
            return error_response(invalid_authentication())
        body = {
            "userId": SANDBOX_USER_ID,
            "hubId": PORTAL_ID,
            "appId": SANDBOX_APP_ID,
            "scopes": sorted(ctx.config.scopes),
        }
        return JSONResponse(body)

    return [Route(TOKEN_INFO_PATH, token_info, methods=["POST"])]
