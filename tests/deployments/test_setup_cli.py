"""`shopsync setup --receiver-url` as an operator runs it, against the sandbox on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from sandbox.runner import SandboxEndpoints, running_sandbox
from tasks import settings as settings_module
from tasks.shopify.auth import PROCESS_TOKENS

pytestmark = pytest.mark.usefixtures("prefect_harness")
RECEIVER = "https://shopsync.example.com/webhooks/shopify"
runner = CliRunner()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxEndpoints]:
    with running_sandbox(synced=False) as endpoints:
        yield endpoints


@pytest.fixture
def environment(sandbox: SandboxEndpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    PROCESS_TOKENS.clear()
    for name, value in sandbox.environment("client_credentials").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHOPSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'setup.db'}")
    monkeypatch.setenv("SHOPSYNC_CONFIG", str(tmp_path / "shopsync.toml"))
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


@pytest.mark.usefixtures("environment")
def test_setup_twice_leaves_one_subscription_per_topic(sandbox: SandboxEndpoints) -> None:
    """The first run creates four subscriptions, the second reports them as existing: still four."""
    first = runner.invoke(app, ["setup", "--no-budgets", "--receiver-url", RECEIVER])
    second = runner.invoke(app, ["setup", "--no-budgets", "--receiver-url", RECEIVER])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "  orders/paid: created" in first.output and "  refunds/create: created" in first.output
    assert "  orders/paid: exists" in second.output
    subscriptions = sandbox.shopify_store.webhook_subscriptions
    assert sorted(s["topic"] for s in subscriptions) == [
        "ORDERS_CANCELLED",
        "ORDERS_PAID",
        "ORDERS_UPDATED",
        "REFUNDS_CREATE",
    ]
    assert {s["uri"] for s in subscriptions} == {RECEIVER}
    print(f"setup --receiver-url twice → {len(subscriptions)} subscriptions")


@pytest.mark.usefixtures("environment")
def test_a_malformed_receiver_url_is_refused_before_anything_runs(sandbox: SandboxEndpoints) -> None:
    """A URL without a scheme is a usage error naming --receiver-url; Shopify is not asked."""
    before = list(sandbox.shopify_store.webhook_subscriptions)
    result = runner.invoke(app, ["setup", "--no-budgets", "--receiver-url", "shopsync.example.com/hooks"])
    assert result.exit_code == 2
    message = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    assert "--receiver-url" in message and "absolute https:// URL" in message
    assert sandbox.shopify_store.webhook_subscriptions == before


@pytest.mark.usefixtures("environment")
def test_doctor_exits_non_zero_and_prints_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong client secret: `shopsync doctor` prints the ✗ line with its fix and exits 1."""
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", "not-the-secret")
    settings_module.get_settings.cache_clear()

    result = runner.invoke(app, ["doctor", "--receiver-url", RECEIVER])

    assert result.exit_code == 1, result.output
    assert "✗ Shopify API: Shopify refused the client credentials (HTTP 400 invalid_client" in result.output
    assert "    fix: copy the client id and secret from Dev Dashboard" in result.output
    assert "not-the-secret" not in result.output
    assert "problem(s) found." in result.output
