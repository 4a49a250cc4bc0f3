"""Drill 2 — crashes: SIGKILL the receiver mid-burst, SIGKILL a sync run mid-batch; nothing lost or doubled.

Receiver: 200 orders/paid deliveries (the store's 110 attributed orders, 45 of them twice more with the same
webhook id) from a Shopify-like sender on a thread (8 retries over 4 h, compressed to 12 s), while the
receiver process is SIGKILLed after the 60th acknowledgement and restarted on the same port. Expected: every
delivery finally acknowledged, every webhook id in the inbox exactly once, none lost.

Sync run: 110 deliveries in the inbox, `shopsync sync --batch-size 10` as its own process with 0.3 s of
HubSpot latency, SIGKILLed once it has synced part of them and holds a claim on the next batch; rerun after
the claim's lease (3 s) expired. Expected: every delivery synced, HubSpot equal to the oracle, one contact
per customer.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments.demo.stack import HOST, prefect_environment, start_prefect_server
from deployments.receiver.app import WEBHOOK_PATH
from sandbox.runner import SandboxEndpoints, running_sandbox
from sandbox.server import free_port
from sandbox.shopify.sender import DeliveryResult, WebhookSender
from sandbox.shopify.webhook_payloads import build_delivery
from tasks.store.inbox import Inbox
from tests.drills.api_faults import put_faults
from tests.drills.oracle import mismatches
from tests.drills.processes import WEBHOOK_SECRET, installation, start_receiver, start_sync, wait_until

KILL_AFTER = 60
LEASE_SECONDS = 3
# Shopify's 4-hour retry schedule squeezed into 12 s: the first retry after 0.05 s, the last after 6 s.
TIME_SCALE = 12 / (4 * 3600)


@pytest.fixture
def sandbox() -> Iterator[SandboxEndpoints]:
    with running_sandbox() as endpoints:
        yield endpoints


@pytest.mark.drill
def test_a_receiver_killed_mid_burst_loses_no_delivery(sandbox: SandboxEndpoints, tmp_path: Path) -> None:
    """SIGKILL the receiver mid-burst and restart it: Shopify's retries land every webhook exactly once."""
    install = installation(sandbox, tmp_path)
    port = free_port(HOST)
    receiver = start_receiver(install, port)
    orders = [o for o in sandbox.shopify_store.orders() if o["customer"]]
    queue = [(o, f"crash-{o['id']}") for o in orders] + [(o, f"crash-{o['id']}") for o in orders[:45]] * 2
    results: list[DeliveryResult] = []
    acknowledged = threading.Semaphore(0)

    def burst() -> None:
        with httpx.Client() as http:
            sender = WebhookSender(
                http,
                f"http://{HOST}:{port}{WEBHOOK_PATH}",
                WEBHOOK_SECRET,
                sandbox.seed.shop.domain,
                time_scale=TIME_SCALE,
            )
            for order, webhook_id in queue:
                results.append(
                    sender.deliver("orders/paid", build_delivery("orders/paid", order), webhook_id)
                )
                acknowledged.release()

    thread = threading.Thread(target=burst, name="shopify-sender")
    thread.start()
    for _ in range(KILL_AFTER):
        assert acknowledged.acquire(timeout=30)
    receiver.kill()
    killed_at = len(results)
    receiver = start_receiver(install, port)
    thread.join(timeout=120)
    receiver.stop()

    assert not thread.is_alive() and len(results) == len(queue)
    assert killed_at < len(queue), "the kill must happen mid-burst"
    assert all(result.delivered for result in results), [r for r in results if not r.delivered]
    assert any(result.attempts > 1 for result in results), "some deliveries must have needed a retry"
    inbox = install.inbox()
    unique_ids = {webhook_id for _, webhook_id in queue}
    assert sum(inbox.counts().values()) == len(unique_ids)
    assert all(inbox.get(webhook_id) is not None for webhook_id in unique_ids)


def _deliver_all(sandbox: SandboxEndpoints, url: str) -> list[str]:
    """Every attributed order as one orders/paid delivery; returns the webhook ids."""
    orders = [o for o in sandbox.shopify_store.orders() if o["customer"]]
    webhook_ids = [f"sync-crash-{order['id']}" for order in orders]
    with httpx.Client() as http:
        sender = WebhookSender(http, url, WEBHOOK_SECRET, sandbox.seed.shop.domain, time_scale=TIME_SCALE)
        for order, webhook_id in zip(orders, webhook_ids, strict=True):
            payload = build_delivery("orders/paid", order)
            assert sender.deliver("orders/paid", payload, webhook_id).delivered
    return webhook_ids


def _with_status(inbox: Inbox, webhook_ids: list[str], status: str) -> list[str]:
    return [
        webhook_id
        for webhook_id in webhook_ids
        if (found := inbox.get(webhook_id)) and found.status == status
    ]


@pytest.mark.drill
def test_a_sync_run_killed_mid_batch_is_finished_by_the_next_run(
    sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    """SIGKILL `shopsync sync` mid-batch: its claims come back after the lease, every delivery syncs once."""
    api_port = free_port(HOST)
    prefect = prefect_environment(tmp_path / "prefect", api_port)
    install = installation(sandbox, tmp_path, **prefect, SHOPSYNC_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS))
    server = start_prefect_server(install.env, api_port, install.logs)
    try:
        receiver = start_receiver(install, free_port(HOST))
        webhook_ids = _deliver_all(sandbox, receiver.url.replace("/healthz", WEBHOOK_PATH))
        receiver.stop()
        inbox = install.inbox()
        put_faults(sandbox.hubspot_base_url, {"latency_seconds": 0.3, "paths": "/contacts/batch/"})

        run = start_sync(install, batch_size=10)
        wait_until(
            lambda: inbox.counts()["synced"] >= 20 and inbox.counts()["claimed"] > 0,
            timeout=180,
            what="the sync run to be mid-batch",
        )
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        held_by_the_dead_run = _with_status(inbox, webhook_ids, "claimed")
        assert held_by_the_dead_run and _with_status(inbox, webhook_ids, "pending")

        put_faults(sandbox.hubspot_base_url, {})
        # A rerun that starts before the dead run's lease expired leaves its claimed rows to the next one.
        for _ in range(3):
            rerun = start_sync(install, batch_size=10)
            assert rerun.wait(timeout=180) == 0, (install.logs / "sync.log").read_text()[-3000:]
            counts = inbox.counts()
            if counts["pending"] == counts["claimed"] == 0:
                break
            time.sleep(LEASE_SECONDS)
        finished = _with_status(inbox, webhook_ids, "synced") + _with_status(inbox, webhook_ids, "skipped")
        assert sorted(finished) == sorted(webhook_ids)
        assert sum(inbox.counts().values()) == len(webhook_ids)
        # Taken over exactly once after the crash: claimed by the dead run, then by one rerun.
        assert all(inbox.get(webhook_id).attempts == 2 for webhook_id in held_by_the_dead_run)  # type: ignore[union-attr]
        assert mismatches(sandbox) == []
    finally:
        server.stop()
