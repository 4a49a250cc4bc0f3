"""Batch endpoints of the sandbox: limits, all-or-nothing writes, multi-status and upserts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.hubspot_sandbox import CONTACTS, CONTACTS_2026, Sandbox, make_sandbox

BATCH = f"{CONTACTS}/batch"


def _with_unique_id() -> Sandbox:
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    return sb


@pytest.mark.parametrize("operation", ["read", "update", "create", "upsert"])
def test_more_than_100_inputs_is_400(operation: str) -> None:
    """Every batch endpoint refuses 101 inputs."""
    inputs = [{"id": str(i), "properties": {}} for i in range(101)]
    response = make_sandbox().client.post(f"{BATCH}/{operation}", json={"inputs": inputs})
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_resolves_merged_ids_and_reports_missing_ones() -> None:
    """Found ids come back (old merged ids as the survivor); missing ones make a 207."""
    sb = make_sandbox()
    a, b = sb.create(email="a@x.com")["id"], sb.create(email="b@x.com")["id"]
    merged = sb.store.merge(a, b)
    response = sb.client.post(
        f"{BATCH}/read", json={"inputs": [{"id": b}, {"id": "424242"}], "properties": ["email"]}
    )
    assert response.status_code == 207
    body = response.json()
    assert [r["id"] for r in body["results"]] == [merged.id]
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"ids": ["424242"]}


def test_batch_read_by_email_returns_200_when_all_found() -> None:
    """idProperty=email reads contacts by email, case-insensitively."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    response = sb.client.post(f"{BATCH}/read", json={"idProperty": "email", "inputs": [{"id": "A@x.com"}]})
    assert response.status_code == 200
    assert response.json()["status"] == "COMPLETE"
    assert response.json()["results"][0]["properties"]["email"] == "a@x.com"


def test_batch_update_by_email_id_property_is_refused() -> None:
    """batch/update takes record ids only: idProperty=email is a 400 "non-unique" error."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    inputs = [{"id": "a@x.com", "idProperty": "email", "properties": {"firstname": "A"}}]
    response = sb.client.post(f"{BATCH}/update", json={"inputs": inputs})
    assert response.status_code == 400
    assert "non-unique" in response.json()["message"]


def test_batch_update_with_emails_as_ids_changes_nothing() -> None:
    """Emails passed as record ids without idProperty succeed and write nothing."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    inputs = [{"id": "a@x.com", "properties": {"firstname": "A"}}]
    response = sb.client.post(f"{BATCH}/update", json={"inputs": inputs})
    assert response.status_code == 200 and response.json()["results"] == []
    assert "firstname" not in sb.store.contacts()[0].properties


def test_one_invalid_input_fails_the_whole_update() -> None:
    """A bad value in one input is a 400 naming it, and no input is written."""
    sb = make_sandbox()
    sb.define("orders", "number", "number")
    a, b = sb.create(email="a@x.com")["id"], sb.create(email="b@x.com")["id"]
    inputs = [
        {"id": a, "properties": {"orders": "3"}},
        {"id": b, "properties": {"orders": "three"}},
    ]
    response = sb.client.post(f"{BATCH}/update", json={"inputs": inputs})
    assert response.status_code == 400
    assert response.json()["errors"][0]["context"] == {"propertyName": ["orders"]}
    assert all("orders" not in c.properties for c in sb.store.contacts())


def test_batch_update_writes_all_inputs() -> None:
    """A valid batch update is a 200 COMPLETE with every record updated."""
    sb = make_sandbox()
    ids = [sb.create(email=f"c{i}@x.com")["id"] for i in range(3)]
    inputs = [{"id": i, "properties": {"firstname": f"N{i}"}} for i in ids]
    body = sb.client.post(f"{BATCH}/update", json={"inputs": inputs}).json()
    assert body["status"] == "COMPLETE" and {"startedAt", "completedAt"} <= set(body)
    assert [c.properties["firstname"] for c in sb.store.contacts()] == [f"N{i}" for i in ids]


def test_batch_create_is_all_or_nothing_on_409_naming_the_first_conflict() -> None:
    """One taken email fails the batch with a 409 for the first conflict; nothing is created."""
    sb = make_sandbox()
    first = sb.create(email="taken1@x.com")["id"]
    sb.create(email="taken2@x.com")
    emails = ["fresh@x.com", "taken1@x.com", "taken2@x.com"]
    inputs = [{"properties": {"email": e}} for e in emails]
    response = sb.client.post(f"{CONTACTS_2026}/batch/create", json={"inputs": inputs})
    assert response.status_code == 409
    assert response.json()["message"] == f"Contact already exists. Existing ID: {first}"
    assert len(sb.store.contacts()) == 2


def test_batch_create_with_trace_ids_is_multi_status() -> None:
    """With unique objectWriteTraceIds, good inputs are created and failures listed by trace id."""
    sb = make_sandbox()
    taken = sb.create(email="taken@x.com")["id"]
    inputs = [
        {"properties": {"email": "fresh@x.com"}, "objectWriteTraceId": "t1"},
        {"properties": {"email": "taken@x.com"}, "objectWriteTraceId": "t2"},
        {"properties": {"email": "x@x.com", "nope": "1"}, "objectWriteTraceId": "t3"},
    ]
    response = sb.client.post(f"{BATCH}/create", json={"inputs": inputs})
    assert response.status_code == 207
    body = response.json()
    assert [r["properties"]["email"] for r in body["results"]] == ["fresh@x.com"]
    errors = {e["context"]["objectWriteTraceId"][0]: e for e in body["errors"]}
    assert body["numErrors"] == 2
    assert errors["t2"]["message"] == f"Contact already exists. Existing ID: {taken}"
    assert errors["t3"]["category"] == "VALIDATION_ERROR"


def test_batch_create_returns_201_when_everything_is_created() -> None:
    """A clean batch create is a 201 COMPLETE."""
    inputs = [{"properties": {"email": f"c{i}@x.com"}} for i in range(3)]
    response = make_sandbox().client.post(f"{BATCH}/create", json={"inputs": inputs})
    assert response.status_code == 201
    assert len(response.json()["results"]) == 3


def _upsert(sb: Sandbox, inputs: list[dict[str, Any]]) -> Any:
    return sb.client.post(f"{BATCH}/upsert", json={"inputs": inputs})


def test_upsert_by_email_creates_or_updates_and_flags_new() -> None:
    """Results carry "new": true for created and false for updated contacts."""
    sb = make_sandbox()
    existing = sb.create(email="old@x.com")["id"]
    inputs = [
        {"id": "OLD@x.com", "idProperty": "email", "properties": {"firstname": "O"}},
        {"id": "new@x.com", "idProperty": "email", "properties": {"firstname": "N"}},
    ]
    response = _upsert(sb, inputs)
    assert response.status_code == 200
    flags = {r["properties"]["firstname"]: (r["new"], r["id"]) for r in response.json()["results"]}
    assert flags["O"] == (False, existing)
    assert flags["N"][0] is True
    assert sb.store.find_by("email", "new@x.com") is not None


def test_upsert_by_email_is_all_or_nothing() -> None:
    """With email as idProperty one bad input fails the whole batch."""
    sb = make_sandbox()
    inputs = [
        {"id": "a@x.com", "idProperty": "email", "properties": {"firstname": "A"}},
        {"id": "b@x.com", "idProperty": "email", "properties": {"nope": "1"}},
    ]
    assert _upsert(sb, inputs).status_code == 400
    assert sb.store.contacts() == []


def test_upsert_by_unique_property_allows_partial_success() -> None:
    """With a unique idProperty good inputs are written and bad ones reported (207)."""
    sb = _with_unique_id()
    inputs = [
        {"id": "1", "idProperty": "shopify_customer_id", "properties": {"email": "a@x.com"}},
        {"id": "2", "idProperty": "shopify_customer_id", "properties": {"nope": "1"}},
    ]
    response = _upsert(sb, inputs)
    assert response.status_code == 207
    assert [r["properties"]["shopify_customer_id"] for r in response.json()["results"]] == ["1"]
    assert response.json()["numErrors"] == 1
    assert [c.properties["email"] for c in sb.store.contacts()] == ["a@x.com"]
