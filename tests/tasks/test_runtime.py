"""Flows find their credentials in a named Block or, without one, in the environment."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tasks.credentials.hubspot import HubSpotCredentials
from tasks.errors import ConfigError
from tasks.runtime import hubspot_credentials, shopify_credentials
from tasks.settings import Settings


def test_without_a_block_the_environment_supplies_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """HUBSPOT_ACCESS_TOKEN becomes the credentials' secret, never a plain string."""
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "env-token")
    credentials = hubspot_credentials(Settings())
    assert credentials.access_token.get_secret_value() == "env-token"
    assert "env-token" not in repr(credentials)


def test_a_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token and no block: the error names the variable to set."""
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="SHOPIFY_ACCESS_TOKEN"):
        shopify_credentials(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.mark.usefixtures("prefect_harness")
def test_a_named_block_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """SHOPSYNC_HUBSPOT_BLOCK loads the saved Block (edited in the UI) instead of the variables."""
    HubSpotCredentials(api_url="http://crm.test", access_token=SecretStr("block-token")).save(
        "runtime-test", overwrite=True
    )
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("SHOPSYNC_HUBSPOT_BLOCK", "runtime-test")
    credentials = hubspot_credentials(Settings())
    assert credentials.access_token.get_secret_value() == "block-token"
    assert credentials.api_url == "http://crm.test"


@pytest.mark.usefixtures("prefect_harness")
def test_a_block_of_the_wrong_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming a HubSpot block where Shopify credentials are expected fails with a clear error."""
    HubSpotCredentials(access_token=SecretStr("x")).save("wrong-kind", overwrite=True)
    monkeypatch.setenv("SHOPSYNC_SHOPIFY_BLOCK", "wrong-kind")
    with pytest.raises(ValueError, match="wrong-kind"):
        shopify_credentials(Settings())
