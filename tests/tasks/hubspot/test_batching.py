"""Batch writes bisect around bad records: the good ones are written, the bad ones come back with reasons."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasks.errors import HubSpotRequestFailed, HubSpotUpsertFailed
from tasks.hubspot.batching import create_contacts, update_contacts, upsert_contacts
from tasks.hubspot.models import ContactCreate
from tests.tasks.hubspot.fakes import contact_json, make_client, reference_body

INVALID_COUNT = {
    "status": "error",
    "message": 'Property values were not valid: [{"isValid":false,"message":"not a number"}]',
    "correlationId": "c0ffee00-0000-4000-8000-000000000000",
    "category": "VALIDATION_ERROR",
}


def _validating_update_handler(request: httpx.Request) -> httpx.Response:
    """Like HubSpot: one invalid value anywhere fails the whole batch with 400; otherwise all are written."""
    inputs = json.loads(request.content)["inputs"]
    if any(item["properties"].get("shopify_orders_count") == "lots" for item in inputs):
        return httpx.Response(400, json=INVALID_COUNT)
    return httpx.Response(
        200, json={"status": "COMPLETE", "results": [contact_json(item["id"]) for item in inputs]}
    )


def test_one_bad_record_in_seven_is_isolated_and_the_rest_written() -> None:
    """Bisecting a 400 writes the 6 good contacts and rejects the bad one with HubSpot's reason."""
    inputs: list[tuple[str, dict[str, Any]]] = [(str(n), {"shopify_orders_count": n}) for n in range(1, 8)]
    inputs[4] = ("5", {"shopify_orders_count": "lots"})
    client, recorder, _ = make_client(_validating_update_handler)

    outcome = update_contacts(client, inputs)

    assert sorted(contact.id for contact in outcome.written) == ["1", "2", "3", "4", "6", "7"]
    assert [(rejected.input[0], rejected.category) for rejected in outcome.rejected] == [
        ("5", "VALIDATION_ERROR")
    ]
    assert "not a number" in outcome.rejected[0].reason
    assert len(recorder.requests) <= 2 * math.log2(7) + 2


@pytest.mark.parametrize(("size", "bad"), [(100, {0}), (100, {37, 38}), (64, {1, 50, 63}), (250, {120, 249})])
def test_request_count_stays_logarithmic_per_bad_record(size: int, bad: set[int]) -> None:
    """Each bad record costs about 2·log2(n) extra requests, never a request per record."""
    inputs = [(str(n), {"shopify_orders_count": "lots" if n in bad else n}) for n in range(size)]
    client, recorder, _ = make_client(_validating_update_handler)

    outcome = update_contacts(client, inputs)

    assert sorted(int(rejected.input[0]) for rejected in outcome.rejected) == sorted(bad)
    assert len(outcome.written) == size - len(bad)
    chunks = math.ceil(size / 100)
    assert len(recorder.requests) <= chunks + len(bad) * (2 * math.log2(min(size, 100)) + 2)


def test_multistatus_errors_reject_only_the_traced_input(reference_dir: Path) -> None:
    """A 207 from batch create rejects the input whose objectWriteTraceId HubSpot names; no resend."""
    answer = reference_body(reference_dir, "batch-create-207-multistatus.json")
    client, recorder, _ = make_client(lambda request: httpx.Response(207, json=answer))
    inputs = [
        ContactCreate({"email": "good@example.com"}, object_write_trace_id="7390000000000000001"),
        ContactCreate({"email": "bad@example.com", "missing": "x"}, object_write_trace_id="549b1c2a9351"),
    ]

    outcome = create_contacts(client, inputs)

    assert [contact.id for contact in outcome.written] == ["1145814089"]
    assert [rejected.input.object_write_trace_id for rejected in outcome.rejected] == ["549b1c2a9351"]
    assert "PROPERTY_DOESNT_EXIST" in outcome.rejected[0].reason
    assert len(recorder.requests) == 1
    assert recorder.bodies()[0]["inputs"][1]["objectWriteTraceId"] == "549b1c2a9351"


def test_existing_contacts_in_a_create_batch_come_back_with_their_ids(reference_dir: Path) -> None:
    """batch/create fails whole on a 409; bisecting finds the existing contact and parses its id."""
    conflict = reference_body(reference_dir, "error-409-contact-exists.json")

    def handler(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["inputs"]
        if any(item["properties"]["email"] == "taken@example.com" for item in inputs):
            return httpx.Response(409, json=conflict)
        results = [contact_json(item["objectWriteTraceId"]) for item in inputs]
        return httpx.Response(201, json={"status": "COMPLETE", "results": results})

    emails = ["a@example.com", "taken@example.com", "c@example.com", "d@example.com"]
    inputs = [ContactCreate({"email": email}, object_write_trace_id=str(n)) for n, email in enumerate(emails)]
    client, _, _ = make_client(handler)

    outcome = create_contacts(client, inputs)

    assert sorted(contact.id for contact in outcome.written) == ["0", "2", "3"]
    assert [(r.input.properties["email"], r.existing_id) for r in outcome.rejected] == [
        ("taken@example.com", "37765128953")
    ]


def test_duplicate_trace_ids_are_refused() -> None:
    """Two inputs with one trace id could not be told apart in a 207, so the batch is refused up front."""
    client, recorder, _ = make_client(lambda request: httpx.Response(500))
    same = [ContactCreate({"email": f"{n}@example.com"}, object_write_trace_id="1") for n in range(2)]
    with pytest.raises(ValueError, match="object_write_trace_id"):
        create_contacts(client, same)
    assert recorder.requests == []


def test_unattributed_create_errors_fail_loudly_instead_of_resending() -> None:
    """Resending creates could duplicate contacts, so errors naming no input raise instead."""
    answer = {"status": "COMPLETE", "results": [], "errors": [{"status": "error", "message": "mystery"}]}
    client, recorder, _ = make_client(lambda request: httpx.Response(207, json=answer))
    inputs = [ContactCreate({"email": f"{n}@example.com"}, object_write_trace_id=str(n)) for n in range(3)]
    with pytest.raises(HubSpotUpsertFailed, match="mystery"):
        create_contacts(client, inputs)
    assert len(recorder.requests) == 1


def test_unattributed_upsert_errors_are_bisected_to_their_input() -> None:
    """Upserts are safe to resend, so an error naming no input is narrowed down to the input causing it."""

    def handler(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["inputs"]
        good = [item for item in inputs if item["id"] != "13"]
        results = [{**contact_json(f"hs-{item['id']}"), "new": False} for item in good]
        errors = (
            [{"status": "error", "category": "VALIDATION_ERROR", "message": "bad"}]
            if len(good) < len(inputs)
            else []
        )
        return httpx.Response(207 if errors else 200, json={"results": results, "errors": errors})

    client, _, _ = make_client(handler)
    outcome = upsert_contacts(
        client, [(str(n), {"email": f"{n}@x.io"}) for n in range(10, 16)], "shopify_customer_id"
    )

    assert [rejected.input[0] for rejected in outcome.rejected] == ["13"]
    assert sorted(contact.id for contact in outcome.written) == ["hs-10", "hs-11", "hs-12", "hs-14", "hs-15"]


def test_errors_about_the_whole_request_are_not_bisected(reference_dir: Path) -> None:
    """A 403 is about the token, not a record: it propagates after one request."""
    forbidden = reference_body(reference_dir, "error-403-missing-scopes.json")
    client, recorder, _ = make_client(lambda request: httpx.Response(403, json=forbidden))
    with pytest.raises(HubSpotRequestFailed, match="MISSING_SCOPES"):
        update_contacts(client, [(str(n), {"firstname": "x"}) for n in range(8)])
    assert len(recorder.requests) == 1
