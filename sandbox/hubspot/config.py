"""Settings of the sandbox HubSpot API (tokens, limits, search lag, clock)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

CONTACTS_READ = "crm.objects.contacts.read"
CONTACTS_WRITE = "crm.objects.contacts.write"
SCHEMAS_READ = "crm.schemas.contacts.read"
SCHEMAS_WRITE = "crm.schemas.contacts.write"
ALL_SCOPES = frozenset({CONTACTS_READ, CONTACTS_WRITE, SCHEMAS_READ, SCHEMAS_WRITE})


@dataclass
class HubSpotSandboxConfig:
    """How the sandbox HubSpot API behaves.

    Defaults follow a Professional portal with a private app / service key
    (api-facts.md B5). `clock` drives rate limiting; pass the same callable to
    `HubSpotStore` so search lag and record timestamps move with it in tests.
    """

    access_token: str = "sandbox-hubspot-token"
    # Scopes the token was granted; an endpoint needing another one answers 403 MISSING_SCOPES.
    scopes: frozenset[str] = ALL_SCOPES
    # Tokens that authenticate as expired (401 EXPIRED_AUTHENTICATION), e.g. a rotated key.
    expired_tokens: tuple[str, ...] = ()
    # Empty: paging links are built from the request's own host.
    base_url: str = ""
    ten_second_limit: int = 190
    interval_milliseconds: int = 10_000
    daily_limit: int = 625_000
    search_per_second: int = 5
    # Real search indexing lags writes by a few seconds (api-facts B2).
    search_index_lag_seconds: float = 2.0
    # True: a unique property can only be set when the contact is created. False
    # (default): it can be set once on an existing contact that has no value yet,
    # which is what "adopt by email, then stamp" needs; changing it is always refused.
    unique_value_only_at_create: bool = False
    clock: Callable[[], float] = field(default=time.monotonic)
    # Awaited by fault injection for latency and timeouts (tests pass a fake).
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
