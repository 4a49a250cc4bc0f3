"""Runtime configuration: one pydantic-settings model read from the environment.

Every knob is documented in the README ("Configuration"). Secrets are `SecretStr` and are unwrapped only where
an HTTP client is built, so they never reach logs, artifacts or flow parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tasks.errors import ConfigError

DEFAULT_SHOPIFY_API_VERSION = "2026-04"
DEFAULT_DATA_DIR = Path(".data")
_API_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")


class Settings(BaseSettings):
    """Where the shop and the CRM live, how to authenticate, and where shopsync keeps its state."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    shopify_shop_domain: str = Field(
        default="shopsync-demo.myshopify.com", validation_alias="SHOPIFY_SHOP_DOMAIN"
    )
    shopify_api_version: str = Field(
        default=DEFAULT_SHOPIFY_API_VERSION, validation_alias="SHOPIFY_API_VERSION"
    )
    shopify_admin_api_url: str | None = Field(default=None, validation_alias="SHOPIFY_ADMIN_API_URL")
    shopify_access_token: SecretStr | None = Field(default=None, validation_alias="SHOPIFY_ACCESS_TOKEN")
    shopify_client_id: str | None = Field(default=None, validation_alias="SHOPIFY_CLIENT_ID")
    shopify_client_secret: SecretStr | None = Field(default=None, validation_alias="SHOPIFY_CLIENT_SECRET")
    shopify_webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, validation_alias="SHOPIFY_WEBHOOK_SECRETS"
    )
    shopify_shop_timezone: str = Field(default="America/New_York", validation_alias="SHOPIFY_SHOP_TIMEZONE")
    hubspot_api_url: str = Field(default="https://api.hubapi.com", validation_alias="HUBSPOT_API_URL")
    hubspot_access_token: SecretStr | None = Field(default=None, validation_alias="HUBSPOT_ACCESS_TOKEN")
    hubspot_portal_id: str | None = Field(default=None, validation_alias="HUBSPOT_PORTAL_ID")
    hubspot_requests_per_10s: int = Field(default=190, validation_alias="HUBSPOT_REQUESTS_PER_10S")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, validation_alias="SHOPSYNC_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="SHOPSYNC_DATABASE_URL")
    shopify_block: str | None = Field(default=None, validation_alias="SHOPSYNC_SHOPIFY_BLOCK")
    hubspot_block: str | None = Field(default=None, validation_alias="SHOPSYNC_HUBSPOT_BLOCK")
    rate_budgets: bool = Field(default=False, validation_alias="SHOPSYNC_RATE_BUDGETS")
    payload_retention_days: int = Field(default=30, ge=1, validation_alias="SHOPSYNC_PAYLOAD_RETENTION_DAYS")
    max_delivery_attempts: int = Field(default=5, ge=1, validation_alias="SHOPSYNC_MAX_DELIVERY_ATTEMPTS")
    # How long a sync run's claim on a delivery, and a writer's lease on a customer's contact, hold; a crashed
    # run's deliveries and customers are taken over after it.
    claim_lease_seconds: float = Field(default=300.0, gt=0, validation_alias="SHOPSYNC_CLAIM_LEASE_SECONDS")
    config_path: Path = Field(default=Path("shopsync.toml"), validation_alias="SHOPSYNC_CONFIG")
    # Where Shopify delivers webhooks: setup subscribes it, doctor checks the subscriptions point at it.
    receiver_url: str | None = Field(default=None, validation_alias="SHOPSYNC_RECEIVER_URL")

    @field_validator("shopify_webhook_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        """Accept "new,old" so a secret rotation can keep both keys valid for an hour."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("shopify_api_version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        if not _API_VERSION.match(value):
            raise ValueError(f"SHOPIFY_API_VERSION must be a quarterly YYYY-MM release, got {value!r}")
        return value

    @property
    def shopify_graphql_url(self) -> str:
        """The Admin GraphQL endpoint; SHOPIFY_ADMIN_API_URL overrides it (the sandbox uses that)."""
        if self.shopify_admin_api_url:
            return self.shopify_admin_api_url
        return f"https://{self.shopify_shop_domain}/admin/api/{self.shopify_api_version}/graphql.json"

    @property
    def sqlalchemy_url(self) -> str:
        """The inbox/ledger database; a SQLite file in the data dir unless configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shopsync.db').resolve()}"

    def shopify_auth(self) -> ShopifyAuthSettings:
        """How to authenticate to the Admin API: a static token, or an app's client id and secret.

        Raises:
            ConfigError: Neither is configured (the message names both options), both are, or only half of
                the client credentials is.
        """
        token = _present(self.shopify_access_token)
        client_id = (self.shopify_client_id or "").strip() or None
        client_secret = _present(self.shopify_client_secret)
        if token is not None and (client_id or client_secret):
            raise ConfigError(
                "set either SHOPIFY_ACCESS_TOKEN (a legacy custom app's token) or SHOPIFY_CLIENT_ID + "
                "SHOPIFY_CLIENT_SECRET (a Dev Dashboard app), not both"
            )
        if token is not None:
            return ShopifyAuthSettings(access_token=token)
        if client_id and client_secret:
            return ShopifyAuthSettings(client_id=client_id, client_secret=client_secret)
        if client_id or client_secret:
            missing = "SHOPIFY_CLIENT_SECRET" if client_id else "SHOPIFY_CLIENT_ID"
            raise ConfigError(f"{missing} is not set: the client-credentials grant needs both id and secret")
        raise ConfigError(
            "Shopify credentials are not set: set SHOPIFY_CLIENT_ID + SHOPIFY_CLIENT_SECRET (an app created "
            "in the Dev Dashboard) or SHOPIFY_ACCESS_TOKEN (a legacy custom app's Admin API token)"
        )

    def require_hubspot_token(self) -> SecretStr:
        """The HubSpot private-app token or service key, or a ConfigError naming the variable."""
        return _require(self.hubspot_access_token, "HUBSPOT_ACCESS_TOKEN")

    def require_webhook_secrets(self) -> list[SecretStr]:
        """The webhook signing secrets (current first), or a ConfigError naming the variables.

        A Dev Dashboard app signs its webhooks with its client secret, so without SHOPIFY_WEBHOOK_SECRETS the
        client secret is the one secret.
        """
        if self.shopify_webhook_secrets:
            return self.shopify_webhook_secrets
        client_secret = _present(self.shopify_client_secret)
        if client_secret is not None:
            return [client_secret]
        raise ConfigError(
            "SHOPIFY_WEBHOOK_SECRETS (or SHOPIFY_CLIENT_SECRET) is not set: the receiver cannot verify any "
            "delivery"
        )


@dataclass(frozen=True)
class ShopifyAuthSettings:
    """One way to authenticate to the Admin API: `access_token`, or `client_id` with `client_secret`."""

    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None


def _present(secret: SecretStr | None) -> SecretStr | None:
    """The secret, or None when it is unset or blank (a blank secret is never sent)."""
    return secret if secret is not None and secret.get_secret_value().strip() else None


def _require(secret: SecretStr | None, name: str) -> SecretStr:
    present = _present(secret)
    if present is None:
        raise ConfigError(f"{name} is not set (or empty); shopsync will not call the API without it")
    return present


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (and `.env` if present)."""
    return Settings()
