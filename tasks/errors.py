"""Domain exceptions: every failure shopsync raises on purpose derives from SyncError."""

from __future__ import annotations


class SyncError(Exception):
    """Base class for shopsync's own errors."""


class ConfigError(SyncError):
    """Configuration is missing or invalid; the message names the setting to fix."""


class InvalidOrderPayload(SyncError):
    """A Shopify order payload lacks a field we need or carries a malformed or impossible value.

    `field` is the payload path at fault (e.g. `current_total_price_set.shop_money.amount`), for reports.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ShopifyFetchFailed(SyncError):
    """A Shopify Admin API read failed for a reason retrying will not fix."""


class HubSpotRequestFailed(SyncError):
    """HubSpot answered with an error that is not worth retrying."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        category: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.correlation_id = correlation_id


class HubSpotUpsertFailed(HubSpotRequestFailed):
    """A contact could not be created or updated (validation, conflict that could not be resolved)."""


class RateLimitExhausted(SyncError):
    """A daily API budget is used up; retrying today only burns more of it."""
