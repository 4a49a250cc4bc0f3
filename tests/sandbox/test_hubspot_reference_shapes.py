"""Every captured HubSpot body has a sandbox twin with the same keys, value types and status."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.hubspot_sandbox import CONTACTS, CONTACTS_2026, Sandbox, make_sandbox

# `properties` holds different names per object type; only its value types are compared.
LOOSE_KEYS = {"properties"}


def shape(value: Any, key: str = "") -> Any:
    """Keys and JSON types, recursively; lists by their first item."""
    if key in LOOSE_KEYS and isinstance(value, dict):
        return {"<name>": sorted({type(v).__name__ for v in value.values()} - {"NoneType"})}
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], key)] if value else []
    return type(value).__name__


def _seeded(**config: Any) -> Sandbox:
    sb = make_sandbox(**config)
    sb.create(email="lorelai@thedragonfly.com", firstname="Lorelai", lastname="Gilmore")
    sb.create(email="testperson@hubspot.com", firstname="Test", lastname="Person")
    return sb


def _batch_create_multistatus() -> httpx.Response:
    inputs = [
        {"properties": {"email": "ok@x.com"}, "objectWriteTraceId": "a1"},
        {"properties": {"missing": "x"}, "objectWriteTraceId": "549b1c2a9351"},
    ]
    return make_sandbox().client.post(f"{CONTACTS}/batch/create", json={"inputs": inputs})


def _search_paged() -> httpx.Response:
    return _seeded().client.post(f"{CONTACTS}/search", json={"limit": 1})


def _list() -> httpx.Response:
    return _seeded().client.get(CONTACTS_2026, params={"limit": 1})


def _search() -> httpx.Response:
    return _seeded().client.post(f"{CONTACTS}/search", json={})


def _validation() -> httpx.Response:
    sb = _seeded()
    sb.define("discount", "number", "number")
    contact_id = sb.store.contacts()[0].id
    return sb.client.patch(f"{CONTACTS}/{contact_id}", json={"properties": {"discount": "ten"}})


def _expired() -> httpx.Response:
    sb = make_sandbox(expired_tokens=("old-key",))
    return sb.client.get(CONTACTS, headers={"Authorization": "Bearer old-key"})


def _unauthenticated() -> httpx.Response:
    return make_sandbox().client.get(CONTACTS, headers={"Authorization": ""})


def _missing_scopes() -> httpx.Response:
    sb = make_sandbox(scopes=frozenset({"crm.objects.contacts.read"}))
    return sb.client.post(CONTACTS, json={"properties": {"email": "a@x.com"}})


def _not_found() -> httpx.Response:
    return make_sandbox().client.get(f"{CONTACTS}/123456")


def _conflict() -> httpx.Response:
    sb = _seeded()
    return sb.client.post(CONTACTS, json={"properties": {"email": "LORELAI@thedragonfly.com"}})


def _daily() -> httpx.Response:
    sb = make_sandbox(daily_limit=1)
    sb.client.get(CONTACTS)
    return sb.client.get(CONTACTS)


def _secondly() -> httpx.Response:
    sb = make_sandbox(search_per_second=1)
    sb.client.post(f"{CONTACTS}/search", json={})
    return sb.client.post(f"{CONTACTS}/search", json={})


def _ten_secondly() -> httpx.Response:
    sb = make_sandbox(ten_second_limit=1)
    sb.client.get(CONTACTS)
    return sb.client.get(CONTACTS)


CASES: dict[str, tuple[int, Callable[[], httpx.Response]]] = {
    "batch-create-207-multistatus.json": (207, _batch_create_multistatus),
    "companies-search-response-paged.json": (200, _search_paged),
    "contacts-list-response.json": (200, _list),
    "contacts-search-response.json": (200, _search),
    "error-400-validation.json": (400, _validation),
    "error-401-expired-authentication.json": (401, _expired),
    "error-401-invalid-authentication.json": (401, _unauthenticated),
    "error-403-missing-scopes.json": (403, _missing_scopes),
    "error-404-object-not-found.json": (404, _not_found),
    "error-409-contact-exists.json": (409, _conflict),
    "error-429-daily.json": (429, _daily),
    "error-429-secondly.json": (429, _secondly),
    "error-429-ten-secondly-rolling.json": (429, _ten_secondly),
}


def test_every_reference_example_has_a_case(reference_dir: Path) -> None:
    """No captured HubSpot body is left without a sandbox twin."""
    files = {p.name for p in (reference_dir / "hubspot" / "examples").glob("*.json")}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sandbox_response_matches_reference(reference_dir: Path, name: str) -> None:
    """The sandbox answers with the reference's status, keys and value types."""
    reference = json.loads((reference_dir / "hubspot" / "examples" / name).read_text())
    status, call = CASES[name]
    response = call()
    assert response.status_code == status, response.text
    assert shape(response.json()) == shape(reference)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("error-")))
def test_error_correlation_id_is_a_uuid_also_sent_as_header(name: str) -> None:
    """Error bodies carry a uuid correlationId, repeated in X-HubSpot-Correlation-Id."""
    response = CASES[name][1]()
    correlation_id = response.json()["correlationId"]
    assert uuid.UUID(correlation_id)
    assert response.headers["X-HubSpot-Correlation-Id"] == correlation_id
