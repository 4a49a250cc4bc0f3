"""`ShopifyCredentials`: the Prefect Block holding the shop's address and secrets, and the client factory.

This is the only module of the Shopify client that imports Prefect, and `get_client` is the only place the
access token or the client secret is unwrapped. A shop is reached either with a static Admin API token (legacy
custom apps) or with a Dev Dashboard app's client id and secret (the client-credentials grant).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from prefect.blocks.core import Block
from pydantic import Field, SecretStr, field_validator, model_validator

from tasks.errors import ConfigError
from tasks.settings import DEFAULT_SHOPIFY_API_VERSION, Settings
from tasks.shopify.auth import ClientCredentialsAuth, ShopifyAuth, token_url_for
from tasks.shopify.client import ShopifyClient

__all__ = ["USER_AGENT", "ShopifyCredentials"]

USER_AGENT = "shopsync/0.1"
# Shopify stops waiting on a query after about 30 s itself; connecting should be quick or fail fast.
_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class ShopifyCredentials(Block):
    """Where a Shopify shop lives and how to authenticate to its Admin API and verify its webhooks."""

    _block_type_name = "Shopify Credentials"
    _block_type_slug = "shopify-credentials"
    _description = (
        "How to reach one Shopify shop: a Dev Dashboard app's client id and secret (or a legacy custom app's "
        "Admin API access token), and the webhook signing secrets."
    )
    _documentation_url = "https://shopify.dev/docs/apps/build/authentication-authorization"  # type: ignore[assignment]
    _code_example = """
```python
from tasks.credentials.shopify import ShopifyCredentials

shopify_credentials = ShopifyCredentials.load("BLOCK_NAME")
with shopify_credentials.get_client() as shopify:
    for page in shopify.iter_order_pages(since=None, until=None):
        ...
```"""

    shop_domain: str = Field(description="The shop's myshopify.com domain, e.g. shopsync-demo.myshopify.com.")
    api_version: str = Field(default=DEFAULT_SHOPIFY_API_VERSION, description="Admin API version, YYYY-MM.")
    admin_api_url: str | None = Field(
        default=None, description="Overrides the Admin GraphQL URL (the local sandbox uses this)."
    )
    access_token: SecretStr | None = Field(
        default=None,
        description="A legacy custom app's Admin API access token; leave empty when using the client id.",
    )
    client_id: str | None = Field(
        default=None, description="The Dev Dashboard app's client id (the client-credentials grant)."
    )
    client_secret: SecretStr | None = Field(
        default=None,
        description="The Dev Dashboard app's client secret; it also signs the app's webhooks.",
    )
    webhook_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Webhook signing secrets, current first (keep the old one an hour); "
        "a Dev Dashboard app signs with its client secret.",
    )
    shop_timezone: str = Field(default="America/New_York", description="The shop's IANA time zone.")

    @field_validator("shop_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"shop_timezone must be an IANA time zone, got {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ShopifyCredentials:
        has_token = self.access_token is not None
        has_client = self.client_id is not None or self.client_secret is not None
        if has_token == has_client or (has_client and not (self.client_id and self.client_secret)):
            raise ValueError(
                "Shopify credentials need either client_id and client_secret (a Dev Dashboard app) or "
                "access_token (a legacy custom app), not both"
            )
        return self

    @property
    def graphql_url(self) -> str:
        """The Admin GraphQL endpoint; `admin_api_url` overrides the one derived from domain and version."""
        if self.admin_api_url:
            return self.admin_api_url
        return f"https://{self.shop_domain}/admin/api/{self.api_version}/graphql.json"

    def get_client(self, http: httpx.Client | None = None) -> ShopifyClient:
        """Build a `ShopifyClient` authenticated with this block's token or client credentials.

        Args:
            http: An existing client to send through (e.g. Starlette's `TestClient` in-process); its auth and
                user agent are set here. When None, a client with timeouts is created.

        Returns:
            The client; close `http` (or the created one, via the caller's context) when done.
        """
        auth = self._auth()
        headers = {"User-Agent": USER_AGENT}
        if http is None:
            http = httpx.Client(auth=auth, headers=headers, timeout=_TIMEOUT)
        else:
            http.auth = auth
            http.headers.update(headers)
        return ShopifyClient(http, self.graphql_url, shop_timezone=ZoneInfo(self.shop_timezone))

    def _auth(self) -> httpx.Auth:
        if self.access_token is not None:
            return ShopifyAuth(self.access_token.get_secret_value())
        if self.client_id is None or self.client_secret is None:
            raise ConfigError("Shopify credentials need an access token or a client id and secret")
        return ClientCredentialsAuth(token_url_for(self.graphql_url), self.client_id, self.client_secret)

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyCredentials:
        """Credentials from the environment-backed settings.

        Raises:
            ConfigError: Neither SHOPIFY_CLIENT_ID + SHOPIFY_CLIENT_SECRET nor SHOPIFY_ACCESS_TOKEN is set
                (or both are).
        """
        auth = settings.shopify_auth()
        return cls(
            shop_domain=settings.shopify_shop_domain,
            api_version=settings.shopify_api_version,
            admin_api_url=settings.shopify_admin_api_url,
            access_token=auth.access_token,
            client_id=auth.client_id,
            client_secret=auth.client_secret,
            webhook_secrets=list(settings.shopify_webhook_secrets),
            shop_timezone=settings.shopify_shop_timezone,
        )
