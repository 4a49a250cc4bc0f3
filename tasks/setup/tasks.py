"""Prefect tasks of the `setup-shopsync` flow: database, HubSpot properties, Shopify webhook subscriptions,
shared rate budgets, alerting."""

from __future__ import annotations

from prefect import task
from prefect.blocks.core import Block
from prefect.cache_policies import NO_CACHE

from tasks.rate_budget import ensure_budgets
from tasks.rules.config import load_config
from tasks.runtime import database, hubspot_credentials, shopify_credentials
from tasks.settings import get_settings
from tasks.setup.alerts import ensure_automations
from tasks.setup.hubspot_properties import ensure_properties
from tasks.setup.webhook_subscriptions import ensure_webhook_subscriptions


@task(cache_policy=NO_CACHE)
def ensure_database() -> str:
    """Create the inbox and ledger tables that are missing (the receiver and every run do it too)."""
    engine = database(get_settings().sqlalchemy_url)
    return f"ready ({engine.dialect.name})"


@task(cache_policy=NO_CACHE)
def ensure_hubspot_properties() -> dict[str, list[str]]:
    """Create the `shopify` property group and properties that are missing; refuse wrongly typed ones."""
    settings = get_settings()
    client = hubspot_credentials(settings).get_client()
    try:
        report = ensure_properties(client, load_config(settings.config_path))
    finally:
        client.close()
    return {"created": report.created, "existing": report.existing}


@task(cache_policy=NO_CACHE)
def ensure_rate_budgets() -> dict[str, str]:
    """Create or update the global concurrency limits every run shares (see tasks/rate_budget.py)."""
    return ensure_budgets()


@task(cache_policy=NO_CACHE)
def ensure_alerts(notification_block: str) -> list[str]:
    """Create the alerting automations, notifying through the named notification Block ("type/name")."""
    block: Block = Block.load(notification_block)  # type: ignore[assignment]  # sync in a sync task
    document_id = getattr(block, "_block_document_id", None)
    if document_id is None:
        raise ValueError(f"notification block {notification_block!r} has no saved document")
    return ensure_automations(document_id)


@task(cache_policy=NO_CACHE)
def ensure_shopify_webhooks(receiver_url: str) -> list[str]:
    """Subscribe `receiver_url` to every topic the receiver consumes; one line per topic says what changed."""
    with shopify_credentials(get_settings()).get_client() as shopify:
        results = ensure_webhook_subscriptions(shopify.app, receiver_url)
    return [result.describe() for result in results]
