"""The two servers the receiver benchmark compares, served the same way.

`receiver` is the product's entry point (`run_receiver`: HMAC check, durable inbox write, a log line per
delivery); `bare` is a Starlette endpoint that answers 200 without reading the body. Both run under uvicorn
with one worker, either each in its own process (the benchmark) or each in a thread of this process (the
smoke test).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from deployments.demo.stack import HOST, start_service
from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app, run_receiver
from deployments.receiver.run_trigger import NullRunTrigger
from sandbox.server import free_port, serve_in_thread
from tasks.runtime import database
from tasks.settings import Settings
from tasks.store.inbox import Inbox

Target = Literal["bare", "receiver"]
TARGETS: tuple[Target, ...] = ("bare", "receiver")
SHOP_DOMAIN = "shopsync-demo.myshopify.com"
WEBHOOK_SECRET = "bench-webhook-secret"
_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Servers:
    """Where each target answers, and the receiver's inbox database."""

    urls: dict[Target, str]
    database_url: str

    def inbox_rows(self) -> int:
        """Every delivery the receiver's inbox holds, whatever its status."""
        return sum(Inbox(database(self.database_url)).counts().values())


def receiver_settings(database_url: str) -> Settings:
    """Receiver settings for the benchmark: one signing secret, the demo shop, its own database."""
    return Settings(
        _env_file=None,
        SHOPIFY_WEBHOOK_SECRETS=WEBHOOK_SECRET,
        SHOPIFY_SHOP_DOMAIN=SHOP_DOMAIN,
        SHOPSYNC_DATABASE_URL=database_url,
    )


def bare_app() -> Starlette:
    """The baseline: same path, same method, 200 at once."""

    async def ok(_request: Request) -> Response:
        return Response(status_code=200)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route(WEBHOOK_PATH, ok, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


@contextmanager
def running_servers(workdir: Path, *, in_threads: bool) -> Iterator[Servers]:
    """Both targets on loopback for the length of the block.

    Args:
        workdir: Holds the receiver's SQLite inbox and the servers' logs.
        in_threads: Serve both in threads of this process (quick, for tests) instead of two processes.
    """
    database_url = f"sqlite:///{workdir / 'inbox.db'}"
    with ExitStack() as stack:
        if in_threads:
            receiver = create_receiver_app(
                receiver_settings(database_url), Inbox(database(database_url)), NullRunTrigger()
            )
            urls: dict[Target, str] = {
                "bare": stack.enter_context(serve_in_thread(bare_app(), HOST)).base_url,
                "receiver": stack.enter_context(serve_in_thread(receiver, HOST)).base_url,
            }
        else:
            urls = {target: _start_process(stack, target, database_url, workdir) for target in TARGETS}
        webhook_urls: dict[Target, str] = {target: url + WEBHOOK_PATH for target, url in urls.items()}
        yield Servers(webhook_urls, database_url)


def _start_process(stack: ExitStack, target: Target, database_url: str, workdir: Path) -> str:
    port = free_port(HOST)
    command = [sys.executable, "-m", __name__, target, "--port", str(port), "--database", database_url]
    env = {**os.environ, "PYTHONPATH": str(_REPO_ROOT)}
    base_url = f"http://{HOST}:{port}"
    service = start_service(f"bench-{target}", command, env, f"{base_url}/healthz", workdir / "logs")
    stack.callback(service.stop)
    return base_url


def main(argv: Sequence[str] | None = None) -> int:
    """Serve one target until terminated (the child side of `running_servers`)."""
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args(argv)
    if args.target == "receiver":
        # Prefect is left out on purpose: the run request happens off the request path anyway.
        run_receiver(HOST, args.port, receiver_settings(args.database), NullRunTrigger())
    else:
        uvicorn.run(bare_app(), host=HOST, port=args.port, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
