"""The shopsync command line, as an operator uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from tasks import settings as settings_module
from tasks.runtime import database
from tasks.store.inbox import Delivery, Inbox

runner = CliRunner()


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inbox:
    monkeypatch.setenv("SHOPSYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    settings_module.get_settings.cache_clear()
    return Inbox(database(settings_module.get_settings().sqlalchemy_url))


def _failed(inbox: Inbox, webhook_id: str) -> None:
    inbox.add(
        Delivery(
            webhook_id=webhook_id,
            topic="orders/paid",
            shop_domain="shop.myshopify.com",
            received_at=datetime.now(UTC),
            payload='{"id": 1}',
            order_id=1,
        )
    )
    (claimed,) = inbox.claim(1, "test-worker", 60)
    inbox.finish(claimed.webhook_id, "failed", "HubSpot: 400 VALIDATION_ERROR")


def test_replay_lists_the_failures_and_requeues_them(inbox: Inbox) -> None:
    """`shopsync replay --no-run` shows each failed delivery with its reason and puts it back in the queue."""
    _failed(inbox, "wh-1")
    _failed(inbox, "wh-2")

    result = runner.invoke(app, ["replay", "--no-run"])

    assert result.exit_code == 0, result.output
    assert "wh-1" in result.output and "400 VALIDATION_ERROR" in result.output
    assert "re-queued 2 deliveries" in result.output
    assert inbox.counts()["pending"] == 2


def test_replay_of_one_delivery_leaves_the_others_failed(inbox: Inbox) -> None:
    """Naming webhook ids replays only those."""
    _failed(inbox, "wh-1")
    _failed(inbox, "wh-2")

    result = runner.invoke(app, ["replay", "wh-2", "--no-run"])

    assert result.exit_code == 0, result.output
    assert inbox.counts()["failed"] == 1
    assert inbox.get("wh-2") is not None and inbox.get("wh-2").status == "pending"  # type: ignore[union-attr]


def test_help_lists_every_command() -> None:
    """The operator finds every entry point in --help."""
    result = runner.invoke(app, ["--help"])
    for command in ("sandbox", "receiver", "sync", "replay", "setup", "doctor", "serve", "reconcile", "demo"):
        assert command in result.output
