"""The HubSpot credentials Block: builds an authenticated client and never shows its token."""

from __future__ import annotations

import httpx
import pytest
from prefect.blocks.core import Block
from prefect.testing.standard_test_suites.blocks import BlockStandardTestSuite
from pydantic import SecretStr

from tasks.credentials.hubspot import HubSpotCredentials
from tasks.errors import ConfigError
from tasks.hubspot.client import HubSpotClient
from tasks.settings import Settings
from tests.tasks.hubspot.fakes import contact_json


class TestHubSpotCredentialsStandards(BlockStandardTestSuite):
    """Prefect's own checks for a well-formed Block (descriptions, docs link, code example)."""

    # Prefect runs this check whenever Pillow is installed (matplotlib, a dev dependency, brings it): it
    # downloads the Block's logo, which needs the internet and a logo our Blocks do not have.
    @pytest.mark.skip(reason="fetches a logo over the internet; shopsync's Blocks have none")
    def test_has_a_valid_image(self, block: type[Block]) -> None: ...

    @pytest.fixture
    def block(self) -> type[Block]:
        return HubSpotCredentials


def test_the_token_never_shows_in_repr_or_dumps() -> None:
    """Printing or serialising the block masks the secret."""
    credentials = HubSpotCredentials(access_token=SecretStr("sandbox-hubspot-token"))
    assert "sandbox-hubspot-token" not in repr(credentials)
    assert "sandbox-hubspot-token" not in credentials.model_dump_json()


def test_get_client_authenticates_an_injected_http_client() -> None:
    """A client built from the block sends the bearer token on every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=contact_json("42"))

    credentials = HubSpotCredentials(access_token=SecretStr("sandbox-hubspot-token"), requests_per_10s=5)
    http = httpx.Client(base_url="https://sandbox.test", transport=httpx.MockTransport(handler))
    client = credentials.get_client(http)
    contact = client.get_contact("42")
    assert contact is not None and contact.id == "42"
    assert seen[0].headers["Authorization"] == "Bearer sandbox-hubspot-token"


def test_get_client_builds_its_own_http_client_for_the_api_url() -> None:
    """Without an injected client, the block builds one aimed at its api_url."""
    credentials = HubSpotCredentials(api_url="http://127.0.0.1:9", access_token=SecretStr("t"))
    client = credentials.get_client()
    assert isinstance(client, HubSpotClient)
    assert str(client._http.base_url) == "http://127.0.0.1:9"


def test_from_settings_copies_the_hubspot_settings() -> None:
    """Environment settings become block fields; the token stays a SecretStr."""
    settings = Settings(
        HUBSPOT_API_URL="http://localhost:8002",
        HUBSPOT_ACCESS_TOKEN="sandbox-hubspot-token",
        HUBSPOT_PORTAL_ID="891936587",
        HUBSPOT_REQUESTS_PER_10S=90,
    )
    credentials = HubSpotCredentials.from_settings(settings)
    assert (credentials.api_url, credentials.portal_id, credentials.requests_per_10s) == (
        "http://localhost:8002",
        "891936587",
        90,
    )
    assert credentials.access_token.get_secret_value() == "sandbox-hubspot-token"


def test_from_settings_without_a_token_names_the_variable() -> None:
    """A missing token is a ConfigError naming HUBSPOT_ACCESS_TOKEN, never an empty string."""
    with pytest.raises(ConfigError, match="HUBSPOT_ACCESS_TOKEN"):
        HubSpotCredentials.from_settings(Settings(HUBSPOT_ACCESS_TOKEN=None))
