"""Test doubles for the HubSpot client: a recording MockTransport, a fake clock, reference bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.pacing import Pacer
from tasks.retry import retry_policy

Handler = Callable[[httpx.Request], httpx.Response]


def reference_body(reference_dir: Path, name: str) -> dict[str, Any]:
    """A captured HubSpot body from tests/reference/hubspot/examples."""
    body: dict[str, Any] = json.loads((reference_dir / "hubspot" / "examples" / name).read_text())
    return body


@dataclass
class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Recorder:
    """Wraps a handler and keeps every request it saw, with its JSON body decoded."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) if request.content else None for request in self.requests]


def scripted(*responses: httpx.Response) -> Handler:
    """A handler that answers with `responses` in order, failing the test if asked once more."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        assert queue, f"unexpected extra request {request.method} {request.url}"
        return queue.pop(0)

    return handler


def make_client(
    handler: Handler, clock: FakeClock | None = None
) -> tuple[HubSpotClient, Recorder, FakeClock]:
    """A client over a MockTransport, with retry and pacing on a fake clock (no real sleeping)."""
    clock = clock or FakeClock()
    recorder = Recorder(handler)
    http = httpx.Client(base_url="https://api.hubapi.test", transport=httpx.MockTransport(recorder))
    client = HubSpotClient(
        http,
        retry=retry_policy(sleep=clock.sleep),
        pacer=Pacer(190, 10.0, clock=clock, sleep=clock.sleep),
        search_pacer=Pacer(4, 1.0, clock=clock, sleep=clock.sleep),
    )
    return client, recorder, clock


def contact_json(contact_id: str, **properties: str | None) -> dict[str, Any]:
    """A contact object as HubSpot returns it."""
    return {
        "id": contact_id,
        "properties": {"hs_object_id": contact_id, **properties},
        "createdAt": "2026-11-20T10:00:00.000Z",
        "updatedAt": "2026-11-21T10:00:00.000Z",
        "archived": False,
    }
