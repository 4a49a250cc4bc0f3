"""Shared set-up for the sandbox HubSpot tests: a fake clock and an in-process client."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.exceptions import StarletteDeprecationWarning

from sandbox.hubspot.app import create_app
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.hubspot.store import HubSpotStore

with warnings.catch_warnings():
    # starlette 1.x wants httpx2 for its TestClient; the project pins httpx 0.28.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "sandbox-hubspot-token"
CONTACTS = "/crm/v3/objects/contacts"
CONTACTS_2026 = "/crm/objects/2026-03/contacts"
PROPERTIES = "/crm/v3/properties/contacts"


@dataclass
class FakeClock:
    """A monotonic clock that only moves when a test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sandbox:
    """A sandbox HubSpot app with its store, clock and an authenticated client."""

    store: HubSpotStore
    clock: FakeClock
    config: HubSpotSandboxConfig
    # A starlette TestClient, which is an httpx.Client.
    client: httpx.Client

    def create(self, **properties: str) -> dict[str, Any]:
        """Create a contact through the API and return its JSON (asserting 201)."""
        response = self.client.post(CONTACTS, json={"properties": properties})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def define(self, name: str, kind: str = "string", field_type: str = "text", **extra: Any) -> None:
        """Define a contact property through the API (asserting 201)."""
        body = {"name": name, "label": name, "type": kind, "fieldType": field_type}
        body |= {"groupName": "contactinformation", **extra}
        response = self.client.post(PROPERTIES, json=body)
        assert response.status_code == 201, response.text


def make_sandbox(**config: Any) -> Sandbox:
    """A fresh, empty sandbox with a fake clock and no search lag unless `config` says otherwise."""
    config.setdefault("search_index_lag_seconds", 0.0)
    clock = FakeClock()
    store = HubSpotStore(clock)
    settings = HubSpotSandboxConfig(clock=clock, **config)
    client = TestClient(
        create_app(store, settings),
        base_url="http://hubspot.sandbox",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return Sandbox(store, clock, settings, client)
