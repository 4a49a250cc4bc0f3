"""`shopsync doctor` against the sandbox: all ✓ on a set-up installation, and each problem named with its fix.

One installation is set up once (sandbox on loopback, client credentials, properties, subscriptions, tables,
deployments registered with the test Prefect API); each test injects one problem, reads the ✗ line and its
fix, and the fixture puts things back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.serve import PREFECT_YAML, load_deployment_specs, to_runner_deployment
from sandbox.runner import SandboxEndpoints, running_sandbox
from sandbox.server import free_port
from tasks.credentials.hubspot import HubSpotCredentials
from tasks.credentials.shopify import ShopifyCredentials
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.settings import Settings
from tasks.setup.doctor.diagnosis import diagnose
from tasks.setup.doctor.report import Check, render
from tasks.setup.hubspot_properties import ensure_properties
from tasks.setup.webhook_subscriptions import ensure_webhook_subscriptions
from tasks.shopify.auth import PROCESS_TOKENS

pytestmark = pytest.mark.usefixtures("prefect_harness")
RECEIVER = "https://shopsync.example.com/webhooks/shopify"
DEPLOYMENTS = [spec["name"] for spec in load_deployment_specs()]


@dataclasses.dataclass
class Installation:
    sandbox: SandboxEndpoints
    environment: dict[str, str]
    tmp: Path

    def run(self, receiver_url: str | None = RECEIVER, **overrides: str) -> list[Check]:
        """The doctor's checks with the installation's settings, some replaced."""
        PROCESS_TOKENS.clear()
        settings = Settings(_env_file=None, **{**self.environment, **overrides})  # type: ignore[call-arg]
        return diagnose(settings, receiver_url, DEPLOYMENTS)

    def toml(self, text: str) -> str:
        path = self.tmp / f"shopsync-{abs(hash(text))}.toml"
        path.write_text(text)
        return str(path)


def _lines(checks: list[Check]) -> str:
    return "\n".join(render(checks))


def _only_failure(checks: list[Check]) -> Check:
    failures = [check for check in checks if check.failed]
    assert len(failures) == 1, _lines(checks)
    return failures[0]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    tmp = tmp_path_factory.mktemp("doctor")
    with running_sandbox(synced=False) as sandbox:
        environment = {
            **sandbox.environment("client_credentials"),
            "SHOPSYNC_DATABASE_URL": f"sqlite:///{tmp / 'shopsync.db'}",
            "SHOPSYNC_CONFIG": str(tmp / "shopsync.toml"),
        }
        settings = Settings(_env_file=None, **environment)  # type: ignore[call-arg]
        database(settings.sqlalchemy_url)
        hubspot = HubSpotCredentials.from_settings(settings).get_client()
        ensure_properties(hubspot, ShopsyncConfig())
        hubspot.close()
        with ShopifyCredentials.from_settings(settings).get_client() as shopify:
            ensure_webhook_subscriptions(shopify.app, RECEIVER)
        for spec in load_deployment_specs():
            to_runner_deployment(spec, PREFECT_YAML.parent).apply()
        yield Installation(sandbox, environment, tmp)


@pytest.fixture
def doctor(installation: Installation) -> Iterator[Installation]:
    """The installation, with the sandboxes' settings and subscriptions restored after each test."""
    shopify = dataclasses.replace(installation.sandbox.shopify_config)
    hubspot = dataclasses.replace(installation.sandbox.hubspot_config)
    subscriptions = [dict(s) for s in installation.sandbox.shopify_store.webhook_subscriptions]
    yield installation
    for config, saved in (
        (installation.sandbox.shopify_config, shopify),
        (installation.sandbox.hubspot_config, hubspot),
    ):
        for item in dataclasses.fields(saved):
            setattr(config, item.name, getattr(saved, item.name))
    installation.sandbox.shopify_store.webhook_subscriptions[:] = subscriptions


def test_a_set_up_installation_passes_every_check(doctor: Installation) -> None:
    """Store, portal, Prefect and database as setup left them: every line is ✓."""
    checks = doctor.run()
    assert [check.status for check in checks] == ["ok"] * len(checks), _lines(checks)
    assert len(checks) == 10
    assert (
        "✓ Shopify webhook subscriptions: orders/paid, orders/updated, orders/cancelled, refunds/create"
        f" → {RECEIVER}" in _lines(checks)
    )


def test_no_shopify_credentials(doctor: Installation) -> None:
    """Neither a token nor client credentials: the ✗ names both options and the later Shopify checks wait."""
    checks = doctor.run(SHOPIFY_CLIENT_ID="", SHOPIFY_CLIENT_SECRET="")
    failure = _only_failure(checks)
    assert failure.name == "Shopify API"
    assert (
        "SHOPIFY_CLIENT_ID + SHOPIFY_CLIENT_SECRET" in failure.detail
        and "SHOPIFY_ACCESS_TOKEN" in failure.detail
    )
    assert "– Shopify access scopes: not checked: no Shopify credentials" in _lines(checks)


def test_a_wrong_client_secret(doctor: Installation) -> None:
    """Shopify refuses the grant: ✗ with invalid_client, fix: copy the credentials from the Dev Dashboard."""
    checks = doctor.run(SHOPIFY_CLIENT_SECRET="not-the-secret")
    lines = _lines(checks)
    assert "✗ Shopify API: Shopify refused the client credentials (HTTP 400 invalid_client" in lines
    assert "    fix: copy the client id and secret from Dev Dashboard → your app → Settings" in lines
    assert _only_failure(checks).name == "Shopify API"


def test_shopify_unreachable(doctor: Installation) -> None:
    """Nothing listens at the Admin API URL: ✗ cannot reach, fix: check the shop domain / URL."""
    dead = f"http://127.0.0.1:{free_port()}/admin/api/2026-04/graphql.json"
    failure = _only_failure(doctor.run(SHOPIFY_ADMIN_API_URL=dead))
    assert failure.detail.startswith(f"cannot reach {dead}")
    assert (
        failure.fix
        == "check SHOPIFY_SHOP_DOMAIN (or SHOPIFY_ADMIN_API_URL) and that this machine can reach it"
    )


def test_credentials_of_another_shop(doctor: Installation) -> None:
    """The credentials open a shop other than SHOPIFY_SHOP_DOMAIN: ✗ with the domain to set."""
    failure = _only_failure(doctor.run(SHOPIFY_SHOP_DOMAIN="other-shop.myshopify.com"))
    assert failure.detail == (
        "the credentials open shopsync-demo.myshopify.com,"
        " but SHOPIFY_SHOP_DOMAIN is other-shop.myshopify.com"
    )
    assert failure.fix is not None and failure.fix.startswith(
        "set SHOPIFY_SHOP_DOMAIN=shopsync-demo.myshopify.com"
    )


def test_a_missing_access_scope(doctor: Installation) -> None:
    """Without read_all_orders: ✗ naming it and the 60-day consequence, fix: grant it in a new app version."""
    doctor.sandbox.shopify_config.granted_scopes = ("read_orders", "read_customers", "read_products")
    failure = _only_failure(doctor.run())
    assert failure.name == "Shopify access scopes"
    assert failure.detail.startswith(
        "missing read_all_orders (granted: read_customers, read_orders, read_products)"
    )
    assert "only the last 60 days" in failure.detail
    assert failure.fix is not None and failure.fix.startswith(
        "grant read_all_orders: Dev Dashboard → your app → Versions"
    )


def test_protected_customer_data_not_granted(doctor: Installation) -> None:
    """Emails come back null: ✗ customer data, fix: request protected customer data access."""
    doctor.sandbox.shopify_config.protected_customer_data = False
    failure = _only_failure(doctor.run())
    assert failure.name == "Shopify customer data"
    assert failure.detail == "customer emails come back null: protected customer data access is not granted"
    assert failure.fix is not None and "Protected customer data" in failure.fix


def test_a_topic_without_subscription(doctor: Installation) -> None:
    """refunds/create was never subscribed: ✗ naming it, fix: the setup command with the receiver URL."""
    store = doctor.sandbox.shopify_store
    store.webhook_subscriptions[:] = [
        s for s in store.webhook_subscriptions if s["topic"] != "REFUNDS_CREATE"
    ]
    failure = _only_failure(doctor.run())
    assert (failure.name, failure.detail) == (
        "Shopify webhook subscriptions",
        "no subscription for refunds/create",
    )
    assert failure.fix == f"run `shopsync setup --receiver-url {RECEIVER}`"


def test_subscriptions_pointing_elsewhere(doctor: Installation) -> None:
    """Subscriptions deliver to an old address: ✗ saying where, fix: setup moves them."""
    failure = _only_failure(doctor.run(receiver_url="https://new-host.example.com/webhooks/shopify"))
    assert failure.detail.startswith(
        "not delivered to https://new-host.example.com/webhooks/shopify: orders/paid → "
    )
    assert failure.fix == (
        "run `shopsync setup --receiver-url https://new-host.example.com/webhooks/shopify`"
        " (it moves them to the receiver)"
    )


def test_an_invalid_hubspot_token(doctor: Installation) -> None:
    """HubSpot refuses the token: ✗ with its category, fix: a new token; the property check waits."""
    checks = doctor.run(HUBSPOT_ACCESS_TOKEN="pat-na1-revoked")
    failure = _only_failure(checks)
    assert failure.name == "HubSpot token"
    assert failure.detail.startswith("HubSpot refused the token (INVALID_AUTHENTICATION)")
    assert failure.fix is not None and failure.fix.startswith("create a new token")
    assert "– HubSpot properties: not checked: the HubSpot token does not work" in _lines(checks)


def test_a_hubspot_token_without_write_scope(doctor: Installation) -> None:
    """The private app lacks crm.objects.contacts.write: ✗ naming it, fix: add it to the app's scopes."""
    doctor.sandbox.hubspot_config.scopes = doctor.sandbox.hubspot_config.scopes - {
        "crm.objects.contacts.write"
    }
    failure = _only_failure(doctor.run())
    assert failure.detail == "the token lacks crm.objects.contacts.write"
    assert (
        failure.fix
        == "add crm.objects.contacts.write to the private app's (or service key's) scopes, then use its token"
    )


def test_a_token_of_another_portal(doctor: Installation) -> None:
    """HUBSPOT_PORTAL_ID names another portal than the token's: ✗ with the right id."""
    failure = _only_failure(doctor.run(HUBSPOT_PORTAL_ID="12345"))
    assert failure.detail == "the token belongs to portal 891936587, but HUBSPOT_PORTAL_ID is 12345"
    assert failure.fix == "set HUBSPOT_PORTAL_ID=891936587, or use a token of portal 12345"


def test_properties_not_created_yet(doctor: Installation) -> None:
    """A configured property (and group) that HubSpot lacks: ✗ listing them, fix: run setup."""
    config = doctor.toml('[properties]\ngroup_name = "shop_facts"\ntotal_spent = "lifetime_spend"\n')
    failure = _only_failure(doctor.run(SHOPSYNC_CONFIG=config))
    assert failure.detail == "missing group 'shop_facts', lifetime_spend"
    assert failure.fix == "run `shopsync setup` (it creates them)"


def test_a_property_of_the_wrong_type(doctor: Installation) -> None:
    """total_spent mapped onto a text property: ✗ with both types, fix naming the shopsync.toml key."""
    config = doctor.toml('[properties]\ntotal_spent = "firstname"\n')
    failure = _only_failure(doctor.run(SHOPSYNC_CONFIG=config))
    assert failure.detail == "HubSpot property 'firstname' is string/text but shopsync needs number/number"
    assert (
        failure.fix is not None
        and "set properties.total_spent in shopsync.toml to another name" in failure.fix
    )


def test_an_invalid_shopsync_toml(doctor: Installation) -> None:
    """A typo in shopsync.toml: ✗ Configuration with the key, and the property check waits."""
    config = doctor.toml("[rules]\nmin_order_totl = 5\n")
    checks = doctor.run(SHOPSYNC_CONFIG=config)
    failure = _only_failure(checks)
    assert failure.name == "Configuration" and "min_order_totl" in failure.detail
    assert failure.fix == f"fix {config} (every key is in shopsync.example.toml)"


def test_prefect_api_unreachable(doctor: Installation) -> None:
    """PREFECT_API_URL points at nothing: ✗ Prefect API, fix: start the server; deployments wait."""
    dead = f"http://127.0.0.1:{free_port()}/api"
    with temporary_settings({PREFECT_API_URL: dead}):
        checks = doctor.run()
    failure = _only_failure(checks)
    assert failure.name == "Prefect API" and failure.detail.startswith(f"{dead} does not answer")
    assert failure.fix is not None and failure.fix.startswith("start `prefect server start`")
    assert "– Prefect deployments: not checked: the Prefect API does not answer" in _lines(checks)


def test_a_deployment_not_registered(doctor: Installation) -> None:
    """The nightly reconciliation is not registered: ✗ naming it, fix: serve or deploy."""
    with get_client(sync_client=True) as client:
        nightly = client.read_deployment_by_name("reconcile-shopify-hubspot/reconcile-nightly")
        client.delete_deployment(nightly.id)
    try:
        failure = _only_failure(doctor.run())
    finally:
        spec = next(s for s in load_deployment_specs() if s["name"] == "reconcile-nightly")
        to_runner_deployment(spec, PREFECT_YAML.parent).apply()
    assert failure.detail == "not registered: reconcile-nightly"
    assert failure.fix is not None and failure.fix.startswith("run `shopsync serve --receiver`")


def test_a_database_without_tables(doctor: Installation) -> None:
    """A fresh database: ✗ listing the missing tables, fix: run setup."""
    url = f"sqlite:///{doctor.tmp / 'empty.db'}"
    failure = _only_failure(doctor.run(SHOPSYNC_DATABASE_URL=url))
    assert (
        failure.name == "Database"
        and "lacks table" in failure.detail
        and "webhook_deliveries" in failure.detail
    )
    assert failure.fix == "run `shopsync setup` (it creates them)"


def test_a_database_that_does_not_answer(doctor: Installation) -> None:
    """Nothing listens at the PostgreSQL URL: ✗ with the URL (no password), fix: check it."""
    url = f"postgresql+psycopg://shopsync:secret-pw@127.0.0.1:{free_port()}/shopsync"
    failure = _only_failure(doctor.run(SHOPSYNC_DATABASE_URL=url))
    assert "does not answer" in failure.detail and "secret-pw" not in failure.detail
    assert failure.fix == "check SHOPSYNC_DATABASE_URL and that the database server is up"
