"""Run every doctor check against the configured store, portal, Prefect API and database, in order.

A check that cannot run because an earlier one failed says so ("–") instead of failing again, so the first ✗
is the one to fix first.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasks.credentials.hubspot import HubSpotCredentials
from tasks.errors import ConfigError
from tasks.rules.config import ShopsyncConfig, load_config
from tasks.runtime import hubspot_credentials, shopify_credentials
from tasks.settings import Settings
from tasks.setup.doctor import hubspot_checks, platform_checks, shopify_checks
from tasks.setup.doctor.report import Check, failed, passed, skipped

CONFIG = "Configuration"
_CONFIG_FIX = "see docs/real-store.md for the variables (or SHOPSYNC_SHOPIFY_BLOCK / SHOPSYNC_HUBSPOT_BLOCK)"


def diagnose(settings: Settings, receiver_url: str | None, deployments: Sequence[str]) -> list[Check]:
    """Every check, in the order a new installation gets them right.

    Args:
        settings: Where the store, portal and database are, and the credentials.
        receiver_url: The receiver's public URL; webhook subscriptions must point at it (None: not compared).
        deployments: The deployment names prefect.yaml defines.

    Returns:
        One result per check; the doctor fails when any has status "fail".
    """
    config_check, config = _config(settings)
    checks = [config_check]
    checks += _shopify(settings, receiver_url, config)
    checks += _hubspot(settings, config)
    prefect = platform_checks.check_prefect_api()
    checks += [prefect, platform_checks.check_deployments(deployments, not prefect.failed)]
    checks.append(platform_checks.check_database(settings.sqlalchemy_url))
    return checks


def _config(settings: Settings) -> tuple[Check, ShopsyncConfig | None]:
    try:
        config = load_config(settings.config_path)
    except ConfigError as error:
        fix = f"fix {settings.config_path} (every key is in shopsync.example.toml)"
        return failed(CONFIG, str(error), fix), None
    source = str(settings.config_path) if settings.config_path.exists() else "defaults (no shopsync.toml)"
    return passed(CONFIG, f"rules and mapping from {source}"), config


def _shopify(settings: Settings, receiver_url: str | None, config: ShopsyncConfig | None) -> list[Check]:
    try:
        credentials = shopify_credentials(settings)
    except ConfigError as error:
        names = (shopify_checks.SCOPES, shopify_checks.CUSTOMER_DATA, shopify_checks.WEBHOOKS)
        return [failed(shopify_checks.API, str(error), _CONFIG_FIX)] + [
            skipped(name, "no Shopify credentials") for name in names
        ]
    uses_types = config.rules.uses_product_types if config is not None else False
    with credentials.get_client() as client:
        api, access = shopify_checks.check_api(client, credentials.shop_domain, credentials.graphql_url)
        return [
            api,
            shopify_checks.check_scopes(access, shopify_checks.required_scopes(uses_types)),
            shopify_checks.check_customer_data(client, access),
            shopify_checks.check_webhooks(client, access, receiver_url),
        ]


def _hubspot(settings: Settings, config: ShopsyncConfig | None) -> list[Check]:
    try:
        credentials: HubSpotCredentials = hubspot_credentials(settings)
    except ConfigError as error:
        return [
            failed(hubspot_checks.TOKEN, str(error), _CONFIG_FIX),
            skipped(hubspot_checks.PROPERTIES, "no HubSpot token"),
        ]
    client = credentials.get_client()
    try:
        token = hubspot_checks.check_token(client, credentials.access_token, credentials.portal_id)
        if config is None:
            return [token, skipped(hubspot_checks.PROPERTIES, "shopsync.toml does not load")]
        return [token, hubspot_checks.check_properties(client, config, not token.failed)]
    finally:
        client.close()
