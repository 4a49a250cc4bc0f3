"""Drill 4 — Prefect unavailable, and drill 6 over a whole process stack.

Load: a Prefect server and `shopsync serve --receiver` as separate process groups (deployments/demo/stack.py)
over the seeded sandbox. 40 orders/paid webhooks are synced by the runs the receiver requests; then the
Prefect server is stopped, 70 more arrive while it is down, it stays down for 15 s and is started again; then
the sync deployment is run once, as its safety-drain schedule would (every 5 minutes; the drill does not
wait). Expected: every webhook answered 2xx on its first attempt while Prefect was down, each one pending in
the inbox, `serve` (and with it the receiver) still alive, and after the drain every delivery synced and
HubSpot equal to the oracle. Then the stack's log files, Prefect database and inbox hold none of the
recognisable secrets, and no flow-run parameter holds customer data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.demo.stack import Service, Stack, running_stack, start_prefect_server
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.runner import SandboxEndpoints, running_sandbox
from sandbox.shopify.config import ShopifySandboxConfig
from sandbox.shopify.sender import DeliveryResult, WebhookSender
from sandbox.shopify.webhook_payloads import build_delivery
from tests.drills.leaks import (
    HUBSPOT_TOKEN,
    SHOPIFY_TOKEN,
    files_containing,
    parameter_leaks,
    personal_values,
)
from tests.drills.oracle import mismatches
from tests.drills.processes import WEBHOOK_SECRET, Installation, installation, wait_until

SECRETS = (SHOPIFY_TOKEN, HUBSPOT_TOKEN, WEBHOOK_SECRET)
SYNC_DEPLOYMENT = "sync-shopify-orders/sync-shopify-orders"
OUTAGE_SECONDS = 15


@pytest.fixture
def sandbox() -> Iterator[SandboxEndpoints]:
    shopify = ShopifySandboxConfig(access_token=SHOPIFY_TOKEN)
    hubspot = HubSpotSandboxConfig(access_token=HUBSPOT_TOKEN)
    with running_sandbox(shopify_config=shopify, hubspot_config=hubspot) as endpoints:
        yield endpoints


def _send(sandbox: SandboxEndpoints, url: str, orders: list[dict[str, Any]]) -> list[DeliveryResult]:
    with httpx.Client() as http:
        sender = WebhookSender(http, url, WEBHOOK_SECRET, sandbox.seed.shop.domain, time_scale=1 / 3600)
        return [sender.deliver("orders/paid", build_delivery("orders/paid", order)) for order in orders]


def _finished(install: Installation) -> int:
    counts = install.inbox().counts()
    return counts["synced"] + counts["skipped"] + counts["failed"]


@pytest.mark.drill
def test_while_prefect_is_down_webhooks_are_kept_and_the_drain_syncs_them(
    sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    """The receiver acknowledges and stores while Prefect is down; the drain run syncs it all afterwards."""
    install = installation(sandbox, tmp_path / "data")
    orders = [order for order in sandbox.shopify_store.orders() if order["customer"]]
    before_outage, during_outage = orders[:40], orders[40:]
    with running_stack(install.env, install.data_dir) as stack:
        assert all(result.delivered for result in _send(sandbox, stack.receiver_url, before_outage))
        wait_until(lambda: _finished(install) == 40, 120, "the receiver-requested runs to sync 40 deliveries")

        stack.prefect.stop()
        during = _send(sandbox, stack.receiver_url, during_outage)
        assert [result.statuses for result in during] == [(200,)] * len(during_outage)
        assert install.inbox().counts()["pending"] == len(during_outage)
        _stay_down(stack, OUTAGE_SECONDS)

        prefect = _restart_prefect(stack, install)
        try:
            with temporary_settings({PREFECT_API_URL: stack.env["PREFECT_API_URL"]}):
                drain = run_deployment(SYNC_DEPLOYMENT, timeout=300, poll_interval=1)
            assert isinstance(drain, FlowRun)
            assert drain.state is not None and drain.state.is_completed(), drain.state
            assert _finished(install) == len(orders)
            assert mismatches(sandbox, orders) == []
            _assert_no_secret_and_no_pii(stack, sandbox, install)
        finally:
            prefect.stop()


def _stay_down(stack: Stack, seconds: int) -> None:
    """Keep Prefect down for `seconds`, checking every second that the receiver stays up and healthy."""
    for _ in range(seconds):
        time.sleep(1)
        assert stack.serve.process.poll() is None, "serve (and the receiver in it) must survive the outage"
        assert httpx.get(stack.serve.url, timeout=2).status_code == 200


def _restart_prefect(stack: Stack, install: Installation) -> Service:
    port = int(stack.env["PREFECT_API_URL"].rsplit(":", 1)[1].split("/", 1)[0])
    return start_prefect_server(stack.env, port, install.logs)


def _assert_no_secret_and_no_pii(stack: Stack, sandbox: SandboxEndpoints, install: Installation) -> None:
    """No secret in the stack's log files, Prefect database or inbox; no customer data in parameters."""
    assert files_containing(install.data_dir, SECRETS) == {}
    with temporary_settings({PREFECT_API_URL: stack.env["PREFECT_API_URL"]}):
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs()
    assert len(runs) >= 2
    assert parameter_leaks(runs, personal_values(sandbox.seed)) == []
