"""The HubSpot credentials Block: where the token lives, and the one place it is unwrapped."""

from __future__ import annotations

from typing import ClassVar

import httpx
from prefect.blocks.core import Block
from pydantic import Field, HttpUrl, SecretStr

from tasks.hubspot.client import HubSpotAuth, HubSpotClient
from tasks.hubspot.pacing import Pacer
from tasks.settings import Settings

USER_AGENT = "shopsync (+https://github.com/shopsync)"
# Reads of 100 contacts with many properties can take a few seconds; the retry layer covers timeouts.
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


# We count requests when we send them, HubSpot when they arrive: two requests sent just inside the window
# can arrive just inside the next one's start. A few requests of headroom keep that from costing a 429 and
# its 10-second wait (the reconcile benchmark saw two per run at exactly 190).
PACING_HEADROOM = 5


def paced_limit(requests_per_10s: int) -> int:
    """How many requests per 10 s the client sends for a portal that allows `requests_per_10s`."""
    return max(1, requests_per_10s - PACING_HEADROOM)


class HubSpotCredentials(Block):
    """Access to one HubSpot portal through a private-app token or service key.

    Example:
        Build a client from a saved block:
        ```python
        from tasks.credentials.hubspot import HubSpotCredentials

        credentials = HubSpotCredentials.load("BLOCK_NAME")
        client = credentials.get_client()
        ```
    """

    _block_type_name: ClassVar[str] = "HubSpot Credentials"
    _block_type_slug: ClassVar[str] = "hubspot-credentials"
    _documentation_url: ClassVar[HttpUrl | None] = HttpUrl(
        "https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide"
    )

    api_url: str = Field(
        default="https://api.hubapi.com",
        description="Base URL of the HubSpot API (the sandbox URL when running locally).",
    )
    access_token: SecretStr = Field(
        default=...,
        description="Private-app token or service key with the crm.objects.contacts and crm.schemas scopes.",
    )
    portal_id: str | None = Field(
        default=None, description="The HubSpot account (hub) id, for links in reports."
    )
    requests_per_10s: int = Field(
        default=190,
        gt=0,
        description="Requests this process may send per rolling 10 s (the app's burst limit).",
    )

    def get_client(self, http: httpx.Client | None = None, pacer: Pacer | None = None) -> HubSpotClient:
        """Build a paced client for this portal.

        Args:
            http: A client to send through instead of a new one (tests pass the sandbox's `TestClient`); it
                gets this block's auth.

        Returns:
            A `HubSpotClient` that authenticates with this block's token.
        """
        auth = HubSpotAuth(self.access_token.get_secret_value())
        if http is None:
            http = httpx.Client(
                base_url=self.api_url, auth=auth, timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}
            )
        else:
            http.auth = auth
        return HubSpotClient(http, pacer=pacer or Pacer(paced_limit(self.requests_per_10s), 10.0))

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpotCredentials:
        """Build the block from environment settings.

        Raises:
            ConfigError: HUBSPOT_ACCESS_TOKEN is not set.
        """
        return cls(
            api_url=settings.hubspot_api_url,
            access_token=settings.require_hubspot_token(),
            portal_id=settings.hubspot_portal_id,
            requests_per_10s=settings.hubspot_requests_per_10s,
        )
