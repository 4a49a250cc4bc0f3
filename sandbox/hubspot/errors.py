"""HubSpot-shaped error bodies, shaped like reference/hubspot/examples/error-*.json."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse

CORRELATION_HEADER = "X-HubSpot-Correlation-Id"
PORTAL_ID = 891936587


def new_correlation_id() -> str:
    """A fresh correlation id, as HubSpot puts in every body and header."""
    return str(uuid.uuid4())


@dataclass(eq=False)
class HubSpotError(Exception):
    """An API error that renders as HubSpot's standard error body."""

    status: int
    category: str
    message: str
    errors: list[dict[str, Any]] | None = None
    context: dict[str, list[str]] | None = None
    sub_category: str | None = None
    links: dict[str, str] | None = None

    def body(self, correlation_id: str) -> dict[str, Any]:
        """The JSON body, keys in the order HubSpot sends them."""
        body: dict[str, Any] = {"status": "error", "message": self.message}
        body["correlationId"] = correlation_id
        if self.errors is not None:
            body["errors"] = self.errors
        if self.context is not None:
            body["context"] = self.context
        body["category"] = self.category
        if self.sub_category is not None:
            body["subCategory"] = self.sub_category
        if self.links is not None:
            body["links"] = self.links
        return body

    def batch_item(self, trace_id: str | None = None) -> dict[str, Any]:
        """The error as one entry of a 207 multi-status `errors` list."""
        item: dict[str, Any] = {"status": "error", "category": self.category}
        item["message"] = self.message
        context = dict(self.context or {})
        if trace_id is not None:
            context["objectWriteTraceId"] = [trace_id]
        if context:
            item["context"] = context
        return item


@dataclass(eq=False)
class PropertyIssue(Exception):
    """One invalid property value, as listed in a VALIDATION_ERROR message."""

    name: str
    code: str
    message: str

    def as_message_item(self) -> dict[str, Any]:
        """The item HubSpot embeds (as JSON text) in "Property values were not valid"."""
        return {
            "isValid": False,
            "message": self.message,
            "error": self.code,
            "name": self.name,
            "localizedErrorMessage": self.message,
            "portalId": PORTAL_ID,
        }


@dataclass(eq=False)
class PropertyValuesInvalid(HubSpotError):
    """400 for one or more invalid property values (unknown property, bad date, ...)."""

    issues: list[PropertyIssue] = field(default_factory=list)

    @classmethod
    def of(cls, issues: list[PropertyIssue]) -> PropertyValuesInvalid:
        """Build the error from its issues."""
        items = json.dumps([issue.as_message_item() for issue in issues], separators=(",", ":"))
        errors = [
            {"message": i.message, "code": i.code, "context": {"propertyName": [i.name]}} for i in issues
        ]
        return cls(
            status=400,
            category="VALIDATION_ERROR",
            message=f"Property values were not valid: {items}",
            errors=errors,
            issues=issues,
        )


def validation_error(message: str, **context: list[str]) -> HubSpotError:
    """A plain 400 VALIDATION_ERROR."""
    return HubSpotError(400, "VALIDATION_ERROR", message, context=context or None)


def contact_conflict(existing_id: str) -> HubSpotError:
    """The 409 a create gets when the email or a unique value is taken."""
    return HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def object_not_found(object_id: str) -> HubSpotError:
    """The 404 for an unknown record id (or idProperty value)."""
    return HubSpotError(
        404,
        "OBJECT_NOT_FOUND",
        "Object not found.  objectId are usually numeric.",
        context={"id": [object_id]},
    )


def invalid_authentication() -> HubSpotError:
    """The 401 for a missing or unknown bearer token."""
    return HubSpotError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )


def expired_authentication(expired_at: datetime, now: datetime) -> HubSpotError:
    """The 401 for a token that has expired (or is the wrong kind of key)."""
    days = max((now - expired_at).days, 0)
    return HubSpotError(
        401,
        "EXPIRED_AUTHENTICATION",
        f"The OAuth token used to make this call expired {days} day(s) ago.",
        context={"expire time": [expired_at.strftime("%Y-%m-%dT%H:%M:%SZ")]},
    )


def missing_scopes(required: list[str]) -> HubSpotError:
    """The 403 for a token lacking a scope the endpoint needs."""
    return HubSpotError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about "
        "required scopes here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredScopes": required},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def error_response(error: HubSpotError, headers: dict[str, str] | None = None) -> JSONResponse:
    """Render an error with a fresh correlation id in body and header."""
    correlation_id = new_correlation_id()
    all_headers = {CORRELATION_HEADER: correlation_id, **(headers or {})}
    return JSONResponse(error.body(correlation_id), error.status, headers=all_headers)


def rate_limit_body(policy: str, correlation_id: str) -> dict[str, Any]:
    """A 429 body for `policy` (TEN_SECONDLY_ROLLING, SECONDLY or DAILY)."""
    message = {
        "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
        "SECONDLY": "You have reached your secondly limit.",
        "DAILY": "You have reached your daily limit.",
    }[policy]
    body: dict[str, Any] = {"status": "error", "message": message, "errorType": "RATE_LIMIT"}
    body["correlationId"] = correlation_id
    body["policyName"] = policy
    if policy == "TEN_SECONDLY_ROLLING":
        body["groupName"] = f"publicapi:hapikey-api-calls-ten-secondly:{PORTAL_ID}"
    else:
        body["requestId"] = new_correlation_id()
    return body


def rate_limited_response(policy: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A 429 response for `policy` with a correlation header."""
    correlation_id = new_correlation_id()
    all_headers = {CORRELATION_HEADER: correlation_id, **(headers or {})}
    return JSONResponse(rate_limit_body(policy, correlation_id), 429, headers=all_headers)


def injected_fault_body(status: int) -> tuple[bytes, dict[str, str]]:
    """Bodies for faults injected by sandbox.faults (423, 429, 5xx), HubSpot-shaped."""
    correlation_id = new_correlation_id()
    headers = {CORRELATION_HEADER: correlation_id, "Content-Type": "application/json"}
    if status == 429:
        body = rate_limit_body("TEN_SECONDLY_ROLLING", correlation_id)
    elif status == 423:
        message = "The record is locked by another write; retry after 2 seconds."
        body = HubSpotError(423, "LOCKED", message).body(correlation_id)
    else:
        message = "internal error"
        body = HubSpotError(status, "INTERNAL_ERROR", message).body(correlation_id)
    return json.dumps(body).encode(), headers
