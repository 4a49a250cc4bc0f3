"""HubSpot's wire protocol: paths, limits, auth, request shapes, and how error answers become exceptions.

Retryable answers become `RetryableError` with the wait HubSpot implies; the retry layer does the waiting.
Everything else becomes a `HubSpotRequestFailed` that carries HubSpot's category and correlation id.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from tasks.errors import HubSpotRequestFailed, HubSpotUpsertFailed, RateLimitExhausted
from tasks.hubspot.models import Contact, HubSpotError
from tasks.retry import RetryableError

# Date-versioned paths replace v3 (api-facts B1); the 2026-03 contact schemas equal v3.
API_VERSION = "2026-03"
CONTACTS_PATH = f"/crm/objects/{API_VERSION}/contacts"
PROPERTIES_PATH = f"/crm/properties/{API_VERSION}/contacts"
# Describes a private-app token: portal, app, user and scopes (HubSpot's private-app docs).
TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"
MAX_BATCH_INPUTS = 100
MAX_PAGE_SIZE = 100
MAX_SEARCH_LIMIT = 200
SEARCH_REQUESTS_PER_SECOND = 4


# Transient gateway / origin answers; 522/525/526 (connection, SSL) are left out on purpose: retrying
# blindly does not fix a broken TLS setup (api-facts B6).
TRANSIENT_STATUSES = frozenset({502, 503, 504, 521, 523, 524})
# Records stay locked for about 2 s after high-volume writes (api-facts B3).
LOCK_WAIT_SECONDS = 2.0
# The rolling window of TEN_SECONDLY_ROLLING, used when HubSpot doesn't state its interval.
ROLLING_WINDOW_SECONDS = 10.0
SECONDLY_WAIT_SECONDS = 1.0

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")


class HubSpotAuth(httpx.Auth):
    """Bearer authentication for private-app tokens and service keys."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the token to every request."""
        request.headers["Authorization"] = self._header
        yield request


class ContactExists(HubSpotUpsertFailed):
    """A create hit an existing contact (same email or additional email); `existing_id` names it."""

    def __init__(self, existing_id: str, message: str, *, correlation_id: str | None = None) -> None:
        super().__init__(message, status=409, category="CONFLICT", correlation_id=correlation_id)
        self.existing_id = existing_id


def existing_contact_id(message: str) -> str | None:
    """The id in a 409 "Contact already exists. Existing ID: N" message, if it names one."""
    match = _EXISTING_ID.search(message)
    return match.group(1) if match else None


def error_for(response: httpx.Response) -> Exception:
    """The exception to raise for a non-2xx `response`: retryable, rate-limit-exhausted or failed."""
    error = HubSpotError.from_response(response)
    status = response.status_code
    request = response.request
    summary = (
        f"HubSpot {request.method} {request.url.path} answered {status} {error.category or ''}: "
        f"{error.describe()} (correlation id {error.correlation_id})"
    )
    if status == 429:
        return _rate_limited(response, error, summary)
    if status == 423:
        return RetryableError(summary, max(LOCK_WAIT_SECONDS, _retry_after(response) or 0.0))
    if status in TRANSIENT_STATUSES or status == 477:
        return RetryableError(summary, _retry_after(response))
    return HubSpotRequestFailed(
        summary, status=status, category=error.category, correlation_id=error.correlation_id
    )


def _rate_limited(response: httpx.Response, error: HubSpotError, summary: str) -> Exception:
    if error.policy_name == "DAILY":
        # Retrying a daily limit only burns tomorrow's budget too (api-facts trap 15).
        return RateLimitExhausted(summary)
    told = _retry_after(response)
    if told is not None:
        return RetryableError(summary, told)
    if error.policy_name == "SECONDLY":
        return RetryableError(summary, SECONDLY_WAIT_SECONDS)
    interval_ms = _float_header(response, "X-HubSpot-RateLimit-Interval-Milliseconds")
    if error.policy_name == "TEN_SECONDLY_ROLLING" or interval_ms is not None:
        return RetryableError(summary, interval_ms / 1000 if interval_ms else ROLLING_WINDOW_SECONDS)
    return RetryableError(summary)


def _retry_after(response: httpx.Response) -> float | None:
    # Only the delay-seconds form: HubSpot has not been seen sending an HTTP date here.
    return _float_header(response, "Retry-After")


def _float_header(response: httpx.Response, name: str) -> float | None:
    raw = response.headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def contact_path(contact_id: str) -> str:
    """The path of one contact; the id (or email) is quoted into the path segment."""
    # Emails with "+" or "/" must stay in the path segment, never leak into the query (see the 404 example).
    return f"{CONTACTS_PATH}/{quote(contact_id, safe='@')}"


def read_params(id_property: str | None, properties: Sequence[str]) -> dict[str, str]:
    """Query parameters of a single-contact read."""
    params = {"properties": ",".join(properties)} if properties else {}
    if id_property:
        params["idProperty"] = id_property
    return params


def lookup_keys(contact: Contact, id_property: str | None) -> list[str]:
    """The input ids a batch-read result answers: its `id_property` value, or its id and merged ids."""
    if id_property:
        value = contact.properties.get(id_property)
        return [value] if value else []
    merged = contact.properties.get("hs_merged_object_ids") or ""
    return [contact.id, *filter(None, merged.split(";"))]


def check_batch_size(inputs: Sequence[object]) -> None:
    """Refuse batches HubSpot would refuse, before spending a request on them."""
    if len(inputs) > MAX_BATCH_INPUTS:
        raise ValueError(f"HubSpot batches take at most {MAX_BATCH_INPUTS} inputs, got {len(inputs)}")


def check_search(filter_groups: Sequence[Mapping[str, Any]], limit: int) -> None:
    """Refuse search requests HubSpot would misread (a misspelled key returns every contact, trap 11)."""
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValueError(f"search limit must be 1..{MAX_SEARCH_LIMIT}, got {limit}")
    for group in filter_groups:
        if set(group) != {"filters"}:
            raise ValueError(f"a filter group takes exactly one key, 'filters'; got {sorted(group)}")
