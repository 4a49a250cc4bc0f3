"""The two ways a benchmark runs shopsync against a sandbox: the full local stack, or one process.

`full_stack` is the product as deployed on one machine (`deployments.demo.stack`): `prefect server start`, and
`shopsync serve --receiver` serving prefect.yaml's deployments plus the receiver, whose accepted deliveries
request flow runs. `in_process` serves the receiver in a thread and calls the sync flow in a loop on another
thread (Prefect API: whatever this process has, e.g. the test harness): quick, for smoke tests.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.demo.stack import running_stack
from deployments.receiver.app import create_receiver_app
from deployments.receiver.run_trigger import DEFAULT_DEPLOYMENT, NullRunTrigger
from sandbox.runner import SandboxEndpoints
from sandbox.server import serve_in_thread
from tasks import settings as settings_module
from tasks.credentials.hubspot import HubSpotCredentials
from tasks.rate_budget import ensure_budgets
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.setup.hubspot_properties import ensure_properties
from tasks.store.inbox import Inbox

WEBHOOK_SECRET = "bench-webhook-secret"
logger = logging.getLogger("shopsync.bench")


@dataclass
class Installation:
    """A running shopsync: where to send webhooks, where its inbox lives, how it was run."""

    description: str
    receiver_url: str
    database_url: str
    prefect_api_url: str | None = None
    drain_errors: list[str] = field(default_factory=list)

    def inbox(self) -> Inbox:
        """The installation's inbox, opened from this process."""
        return Inbox(database(self.database_url))

    def flow_run_states(self, page: int = 200) -> dict[str, int]:
        """How many flow runs the stack's Prefect server holds, per state name (full stack only)."""
        if self.prefect_api_url is None:
            return {}
        counts: dict[str, int] = {}
        offset = 0
        while True:
            body = {"limit": page, "offset": offset}
            response = httpx.post(f"{self.prefect_api_url}/flow_runs/filter", json=body, timeout=30)
            response.raise_for_status()
            runs = response.json()
            for run in runs:
                state = str(run.get("state_name"))
                counts[state] = counts.get(state, 0) + 1
            if len(runs) < page:
                return counts
            offset += page


class ServedSandbox(Protocol):
    """A sandbox served in this process (`SandboxEndpoints`) or in its own (`SandboxProcess`)."""

    def environment(self) -> dict[str, str]: ...


def shopsync_environment(sandbox: ServedSandbox, workdir: Path) -> dict[str, str]:
    """Settings pointing shopsync at the sandbox, with a fresh database and default configuration."""
    return {
        **sandbox.environment(),
        "SHOPIFY_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "SHOPSYNC_DATABASE_URL": f"sqlite:///{workdir / 'shopsync.db'}",
        "SHOPSYNC_DATA_DIR": str(workdir),
        # No such file: the defaults apply, whatever shopsync.toml the working directory holds.
        "SHOPSYNC_CONFIG": str(workdir / "shopsync.toml"),
    }


def create_properties(sandbox: SandboxEndpoints) -> None:
    """Create shopsync's HubSpot properties, as `shopsync setup` does before the first sync."""
    credentials = HubSpotCredentials(api_url=sandbox.hubspot_base_url, access_token=sandbox.hubspot_token)
    client = credentials.get_client()
    try:
        ensure_properties(client, ShopsyncConfig())
    finally:
        client.close()


@contextmanager
def full_stack(environment: Mapping[str, str], workdir: Path) -> Iterator[Installation]:
    """Prefect server + `shopsync serve --receiver` (receiver-triggered sync runs), as separate processes.

    Configured as docs/production.md recommends for several processes: every HubSpot request also draws
    from the shared `hubspot-requests` budget, which is created here as `shopsync setup` would.
    """
    with running_stack({**environment, "SHOPSYNC_RATE_BUDGETS": "true"}, workdir) as stack:
        api_url = stack.env["PREFECT_API_URL"]
        with temporary_settings({PREFECT_API_URL: api_url}):
            ensure_budgets()
        # The receiver is healthy before `serve` has registered the deployments; a burst sent then would
        # only find "Deployment not found" and wait for the safety drain.
        _wait_for_deployment(api_url, DEFAULT_DEPLOYMENT, timeout=180.0)
        yield Installation(
            description="full stack: prefect server + shopsync serve --receiver, receiver-triggered runs, "
            "shared HubSpot budget on",
            receiver_url=stack.receiver_url,
            database_url=environment["SHOPSYNC_DATABASE_URL"],
            prefect_api_url=api_url,
        )


def _wait_for_deployment(api_url: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/deployments/name/{name}", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"deployment {name} was not registered within {timeout:.0f} s")


@contextmanager
def in_process(environment: Mapping[str, str], idle_wait: float = 0.2) -> Iterator[Installation]:
    """Receiver in a thread, and the sync flow called in a loop on another thread, in this process."""
    with patched_environment(environment):
        settings = settings_module.get_settings()
        inbox = Inbox(database(settings.sqlalchemy_url))
        app = create_receiver_app(settings, inbox, NullRunTrigger())
        with serve_in_thread(app) as server:
            installation = Installation(
                description="in process: receiver in a thread, sync flow called in a loop",
                receiver_url=f"{server.base_url}/webhooks/shopify",
                database_url=settings.sqlalchemy_url,
            )
            stop = threading.Event()
            drain = threading.Thread(target=_drain, args=(stop, installation, idle_wait), daemon=True)
            drain.start()
            try:
                yield installation
            finally:
                stop.set()
                drain.join(timeout=120)


def _drain(stop: threading.Event, installation: Installation, idle_wait: float) -> None:
    """Run the sync flow until stopped; an idle run (nothing pending) waits a moment before the next."""
    from flows.sync_orders import sync_shopify_orders

    while not stop.is_set():
        try:
            summary: dict[str, Any] = sync_shopify_orders()
        except Exception as error:
            # Recorded, not raised: the next run retries the released deliveries, as a real schedule would.
            installation.drain_errors.append(repr(error))
            logger.warning("sync run failed: %r", error)
            stop.wait(idle_wait)
            continue
        if not summary.get("deliveries"):
            stop.wait(idle_wait)


@contextmanager
def patched_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables (and re-read shopsync's settings) for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    settings_module.get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings_module.get_settings.cache_clear()
