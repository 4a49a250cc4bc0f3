"""Real processes for the slow drills: a receiver to SIGKILL, a sync run to SIGKILL, a Prefect server to stop.

Built on `deployments/demo/stack.py`, so each process runs in its own session and is killed as a group, and
everything listens on loopback only. The sandboxes run in the test process (`running_sandbox`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from deployments.demo.stack import HOST, Service, start_service
from sandbox.runner import SandboxEndpoints
from tasks.credentials.hubspot import HubSpotCredentials
from tasks.rules.config import ShopsyncConfig
from tasks.runtime import database
from tasks.setup.hubspot_properties import ensure_properties
from tasks.store.inbox import Inbox

WEBHOOK_SECRET = "drill-webhook-secret"


@dataclass(frozen=True)
class Installation:
    """What the processes of one drill share: environment, data folder, database."""

    env: dict[str, str]
    data_dir: Path

    @property
    def database_url(self) -> str:
        return self.env["SHOPSYNC_DATABASE_URL"]

    def inbox(self) -> Inbox:
        return Inbox(database(self.database_url))

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"


def installation(sandbox: SandboxEndpoints, data_dir: Path, **extra: str) -> Installation:
    """Settings pointing shopsync at the sandbox, with its state in `data_dir`; HubSpot properties created."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **sandbox.environment(),
        "SHOPIFY_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "SHOPSYNC_DATA_DIR": str(data_dir),
        "SHOPSYNC_DATABASE_URL": f"sqlite:///{data_dir / 'shopsync.db'}",
        "SHOPSYNC_CONFIG": str(data_dir / "shopsync.toml"),
        **extra,
    }
    credentials = HubSpotCredentials(
        api_url=sandbox.hubspot_base_url, access_token=SecretStr(sandbox.hubspot_token)
    )
    hubspot = credentials.get_client()
    ensure_properties(hubspot, ShopsyncConfig())
    hubspot.close()
    return Installation(env, data_dir)


def start_receiver(install: Installation, port: int) -> Service:
    """`shopsync receiver` as its own process group (no Prefect: the drain picks deliveries up)."""
    command = [sys.executable, "-m", "deployments.cli", "receiver", "--host", HOST, "--port", str(port)]
    env = {k: v for k, v in install.env.items() if k != "PREFECT_API_URL"}
    return start_service("receiver", command, env, f"http://{HOST}:{port}/healthz", install.logs)


def start_sync(install: Installation, batch_size: int) -> subprocess.Popen[bytes]:
    """`shopsync sync` (one flow run, now) as its own process group, logging to logs/sync.log."""
    install.logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "deployments.cli", "sync", "--batch-size", str(batch_size)]
    with (install.logs / "sync.log").open("ab") as log:
        return subprocess.Popen(
            command, env=install.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `condition` until it holds; fail the drill with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
