"""The sandbox Shopify + HubSpot in a process of its own, for benchmarks timed against a floor.

Served in a thread of the benchmark's process, the sandbox's request handling competes with the measured code
for the GIL, and the benchmark then measures both. Here the parent pickles the seeded store to a file, the
child (`python -m bench.sandbox_process SPEC`) serves it on loopback and prints one JSON line with its
endpoints, and it serves until the parent closes its stdin. Counters, state and resets go over HTTP.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.runner import serve_sandbox
from sandbox.seed import SeedData
from sandbox.shopify.config import ShopifySandboxConfig

_REPO_ROOT = Path(__file__).resolve().parent.parent
_STATE_TIMEOUT = 600.0


@dataclass(frozen=True)
class SandboxSpec:
    """What the child serves: a seeded store and, for stores too large for objects, a prebuilt bulk file."""

    data: SeedData
    bulk_result_file: Path | None = None


@dataclass
class SandboxProcess:
    """The parent's handle on a running sandbox process."""

    environment_values: dict[str, str]
    hubspot_base_url: str
    shopify_base_url: str
    ten_second_limit: int

    def environment(self) -> dict[str, str]:
        """The settings that point shopsync at this sandbox (as `SandboxEndpoints.environment`)."""
        return dict(self.environment_values)

    def counters(self) -> dict[str, Any]:
        """The HubSpot rate limiter's counters: served, per endpoint, 429s, busiest 10 s window."""
        return dict(self._get("/_sandbox/counters").json())

    def reset_hubspot(self) -> None:
        """The portal back to its seeded contacts, the counters to zero."""
        httpx.post(f"{self.hubspot_base_url}/_sandbox/reset", timeout=_STATE_TIMEOUT).raise_for_status()

    def contacts_by_customer(self, id_property: str) -> dict[int, dict[str, str | None]]:
        """Live contacts' properties keyed by Shopify customer id."""
        contacts = self._get("/_sandbox/state").json()["contacts"]
        return {
            int(value): contact["properties"]
            for contact in contacts
            if (value := contact["properties"].get(id_property))
        }

    def _get(self, path: str) -> httpx.Response:
        response = httpx.get(f"{self.hubspot_base_url}{path}", timeout=_STATE_TIMEOUT)
        response.raise_for_status()
        return response


@contextmanager
def sandbox_process(spec: SandboxSpec, workdir: Path) -> Iterator[SandboxProcess]:
    """Start the sandbox process over `spec`, yield its handle, and stop it when the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / "sandbox-spec.pickle"
    with spec_path.open("wb") as file:
        pickle.dump(spec, file, protocol=pickle.HIGHEST_PROTOCOL)
    command = [sys.executable, "-m", "bench.sandbox_process", str(spec_path)]
    with subprocess.Popen(
        command, cwd=_REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            ready = child.stdout.readline()
            if not ready:
                raise RuntimeError(f"the sandbox process exited before serving (exit {child.wait()})")
            yield _handle(json.loads(ready))
        finally:
            child.stdin.close()
            child.wait(timeout=60)


def _handle(ready: Mapping[str, Any]) -> SandboxProcess:
    return SandboxProcess(
        environment_values=dict(ready["environment"]),
        hubspot_base_url=ready["hubspot_base_url"],
        shopify_base_url=ready["shopify_base_url"],
        ten_second_limit=int(ready["ten_second_limit"]),
    )


def serve(spec_path: Path) -> None:
    """Child side: serve the pickled spec until stdin closes."""
    with spec_path.open("rb") as file:
        spec: SandboxSpec = pickle.load(file)  # noqa: S301 - written by our own parent process
    shopify_config = ShopifySandboxConfig(bulk_result_file=spec.bulk_result_file)
    hubspot_config = HubSpotSandboxConfig()
    with serve_sandbox(spec.data, shopify_config=shopify_config, hubspot_config=hubspot_config) as endpoints:
        ready = {
            "environment": endpoints.environment(),
            "hubspot_base_url": endpoints.hubspot_base_url,
            "shopify_base_url": endpoints.shopify_base_url,
            "ten_second_limit": hubspot_config.ten_second_limit,
        }
        print(json.dumps(ready), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
