"""Start a whole local installation as separate processes: Prefect server, served deployments, receiver.

The demo, the reliability drills and the benchmarks run shopsync the way a single-machine install does:
`prefect server start` with its UI, and `shopsync serve --receiver` serving prefect.yaml's deployments and
the webhook receiver in one process. Every process runs in its own session so it can be stopped as a group
(flow-run subprocesses included), and everything is bound to loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from sandbox.server import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Service:
    """A started process and the URL that tells whether it is healthy."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after `timeout`."""
        stop_process_group(self.process, timeout)

    def kill(self) -> None:
        """SIGKILL the process group at once (crash drills)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Terminate a process started with `start_new_session=True` and everything it spawned."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def start_service(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    health_url: str,
    log_dir: Path,
    timeout: float = 90.0,
) -> Service:
    """Start `command` in its own session, logging to `log_dir/<name>.log`, and wait until healthy."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    service = Service(name, process, health_url, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log_path}")
        if _healthy(health_url):
            return service
        time.sleep(0.25)
    service.stop()
    raise RuntimeError(f"{name} was not healthy within {timeout:.0f} s; see {log_path}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def prefect_environment(prefect_home: Path, api_port: int) -> dict[str, str]:
    """Settings that point a process at the stack's Prefect server (and keep it quiet offline)."""
    return {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": f"http://{HOST}:{api_port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "shopsync",
    }


def start_prefect_server(env: Mapping[str, str], port: int, log_dir: Path) -> Service:
    """`prefect server start` on loopback with its UI (SQLite under PREFECT_HOME)."""
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
    return start_service("prefect-server", command, env, f"http://{HOST}:{port}/api/health", log_dir)


def start_serve(env: Mapping[str, str], receiver_port: int, log_dir: Path) -> Service:
    """`shopsync serve --receiver`: every deployment of prefect.yaml plus the webhook receiver."""
    command = [
        sys.executable,
        "-m",
        "deployments.cli",
        "serve",
        "--receiver",
        "--host",
        HOST,
        "--port",
        str(receiver_port),
    ]
    return start_service("shopsync-serve", command, env, f"http://{HOST}:{receiver_port}/healthz", log_dir)


@dataclass
class Stack:
    """A running installation: its services, URLs and the environment its processes share."""

    env: dict[str, str]
    prefect: Service
    serve: Service
    ui_url: str
    receiver_url: str


SERVED_DEPLOYMENTS = (
    "setup-shopsync/setup",
    "sync-shopify-orders/sync-shopify-orders",
    "reconcile-shopify-hubspot/reconcile-nightly",
)


def wait_for_deployments(api_url: str, names: tuple[str, ...], timeout: float = 60.0) -> None:
    """Wait until `serve` has registered every deployment (the receiver is healthy a little earlier)."""
    deadline = time.monotonic() + timeout
    missing = list(names)
    while missing and time.monotonic() < deadline:
        missing = [name for name in missing if not _healthy(f"{api_url}/deployments/name/{name}")]
        if missing:
            time.sleep(0.5)
    if missing:
        raise RuntimeError(f"deployments not served within {timeout:.0f} s: {', '.join(missing)}")


@contextmanager
def running_stack(base_env: Mapping[str, str], data_dir: Path) -> Iterator[Stack]:
    """Prefect server + `shopsync serve --receiver` for the length of the block."""
    api_port, receiver_port = free_port(HOST), free_port(HOST)
    env = {
        **os.environ,
        **base_env,
        **prefect_environment(data_dir / "prefect", api_port),
        "SHOPSYNC_DATA_DIR": str(data_dir),
    }
    logs = data_dir / "logs"
    with ExitStack() as stack:
        prefect = start_prefect_server(env, api_port, logs)
        stack.callback(prefect.stop)
        serve = start_serve(env, receiver_port, logs)
        stack.callback(serve.stop)
        wait_for_deployments(env["PREFECT_API_URL"], SERVED_DEPLOYMENTS)
        yield Stack(
            env=env,
            prefect=prefect,
            serve=serve,
            ui_url=f"http://{HOST}:{api_port}",
            receiver_url=f"http://{HOST}:{receiver_port}/webhooks/shopify",
        )
