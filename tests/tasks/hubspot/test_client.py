"""The HubSpot client against MockTransport handlers that answer with captured HubSpot bodies."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tasks.errors import HubSpotRequestFailed, RateLimitExhausted
from tasks.hubspot.client import ContactExists, HubSpotAuth
from tasks.hubspot.models import PropertyDefinition
from tasks.hubspot.protocol import CONTACTS_PATH
from tests.tasks.hubspot.fakes import contact_json, make_client, reference_body, scripted


def test_create_conflict_raises_contact_exists_with_the_existing_id(reference_dir: Path) -> None:
    """A 409 on create names the existing contact so the caller can PATCH it instead."""
    body = reference_body(reference_dir, "error-409-contact-exists.json")
    client, recorder, _ = make_client(scripted(httpx.Response(409, json=body)))
    with pytest.raises(ContactExists) as caught:
        client.create_contact({"email": "ada@example.com", "shopify_total_spent": Decimal("10.5")})
    assert caught.value.existing_id == "37765128953"
    assert caught.value.correlation_id == "2dea5219-07f2-40ce-82ec-9c2e302317a4"
    assert recorder.bodies() == [{"properties": {"email": "ada@example.com", "shopify_total_spent": "10.50"}}]


def test_burst_429_waits_the_rolling_window_then_succeeds(reference_dir: Path) -> None:
    """TEN_SECONDLY_ROLLING is retried once, after the ~10 s window, without a real sleep."""
    limited = httpx.Response(429, json=reference_body(reference_dir, "error-429-ten-secondly-rolling.json"))
    client, recorder, clock = make_client(scripted(limited, httpx.Response(201, json=contact_json("1"))))
    contact = client.create_contact({"email": "ada@example.com"})
    assert contact.id == "1"
    assert len(recorder.requests) == 2
    assert clock.sleeps == [10.0]


def test_429_interval_header_and_retry_after_override_the_default_wait(reference_dir: Path) -> None:
    """HubSpot's own numbers win: the interval header, and Retry-After above all."""
    body = reference_body(reference_dir, "error-429-ten-secondly-rolling.json")
    interval = httpx.Response(429, json=body, headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "2500"})
    told = httpx.Response(429, json=body, headers={"Retry-After": "3"})
    client, _, clock = make_client(scripted(interval, told, httpx.Response(200, json=contact_json("1"))))
    client.get_contact("1")
    assert clock.sleeps == [2.5, 3.0]


def test_secondly_429_waits_one_second(reference_dir: Path) -> None:
    """The search limit (SECONDLY) clears within a second."""
    limited = httpx.Response(429, json=reference_body(reference_dir, "error-429-secondly.json"))
    client, _, clock = make_client(scripted(limited, httpx.Response(200, json={"total": 0, "results": []})))
    page = client.search(
        [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a@b.c"}]}], ["email"]
    )
    assert page.results == []
    assert clock.sleeps == [1.0]


def test_daily_429_stops_at_once(reference_dir: Path) -> None:
    """A DAILY limit is never retried: exactly one request, and RateLimitExhausted."""
    limited = httpx.Response(429, json=reference_body(reference_dir, "error-429-daily.json"))
    client, recorder, clock = make_client(scripted(limited))
    with pytest.raises(RateLimitExhausted, match="daily limit"):
        client.get_contact("1")
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


def test_locked_records_are_retried_after_two_seconds() -> None:
    """423 Locked waits at least 2 s and then goes through."""
    locked = httpx.Response(423, json={"status": "error", "message": "locked", "category": "LOCKED"})
    client, recorder, clock = make_client(scripted(locked, httpx.Response(200, json=contact_json("5"))))
    contact = client.update_contact("5", {"shopify_orders_count": 3})
    assert contact is not None and contact.id == "5"
    assert len(recorder.requests) == 2
    assert clock.sleeps[0] >= 2.0


@pytest.mark.parametrize("status", [502, 503, 504, 521, 523, 524])
def test_transient_gateway_errors_are_retried(status: int) -> None:
    """Gateway hiccups back off and retry; the caller only sees the success."""
    client, recorder, clock = make_client(
        scripted(httpx.Response(status), httpx.Response(200, json=contact_json("5")))
    )
    assert client.get_contact("5") is not None
    assert len(recorder.requests) == 2
    assert len(clock.sleeps) == 1


def test_migration_in_progress_honours_retry_after() -> None:
    """477 waits exactly what Retry-After says."""
    migrating = httpx.Response(
        477, headers={"Retry-After": "7"}, json={"status": "error", "message": "migrating"}
    )
    client, _, clock = make_client(scripted(migrating, httpx.Response(200, json=contact_json("5"))))
    client.get_contact("5")
    assert clock.sleeps == [7.0]


def test_retries_stop_after_six_attempts() -> None:
    """A portal that stays down ends in the last error after six tries, not an endless loop."""
    client, recorder, _ = make_client(lambda request: httpx.Response(503))
    with pytest.raises(Exception, match="503"):
        client.get_contact("5")
    assert len(recorder.requests) == 6


@pytest.mark.parametrize(
    ("status", "name", "category"),
    [
        (401, "error-401-invalid-authentication.json", "INVALID_AUTHENTICATION"),
        (401, "error-401-expired-authentication.json", "EXPIRED_AUTHENTICATION"),
        (403, "error-403-missing-scopes.json", "MISSING_SCOPES"),
    ],
)
def test_auth_failures_fail_fast(reference_dir: Path, status: int, name: str, category: str) -> None:
    """401/403 are not retried and carry HubSpot's category (and the required scopes in the message)."""
    client, recorder, _ = make_client(
        scripted(httpx.Response(status, json=reference_body(reference_dir, name)))
    )
    with pytest.raises(HubSpotRequestFailed) as caught:
        client.get_contact("1")
    assert (caught.value.status, caught.value.category) == (status, category)
    assert len(recorder.requests) == 1
    if status == 403:
        assert "requiredScopes" in str(caught.value)


def test_validation_error_carries_the_parsed_body(reference_dir: Path) -> None:
    """Other 4xx answers raise with HubSpot's message, details and correlation id."""
    body = reference_body(reference_dir, "error-400-validation.json")
    client, _, _ = make_client(scripted(httpx.Response(400, json=body)))
    with pytest.raises(HubSpotRequestFailed) as caught:
        client.update_contact("1", {"discount": "abc"})
    assert caught.value.category == "VALIDATION_ERROR"
    assert caught.value.correlation_id == "a43683b0-5717-4ceb-80b4-104d02915d8c"
    assert "discount was not a valid number" in str(caught.value)


def test_missing_contact_reads_as_none(reference_dir: Path) -> None:
    """404 on get or update means "no such contact", not an error."""
    not_found = reference_body(reference_dir, "error-404-object-not-found.json")
    client, recorder, _ = make_client(lambda request: httpx.Response(404, json=not_found))
    assert client.get_contact("a+b@example.com", id_property="email", properties=["email"]) is None
    assert client.update_contact("77", {"shopify_orders_count": 1}, id_property="shopify_customer_id") is None
    first = recorder.requests[0]
    assert first.url.path == f"{CONTACTS_PATH}/a+b@example.com"
    assert dict(first.url.params) == {"properties": "email", "idProperty": "email"}
    assert recorder.requests[1].method == "PATCH"
    assert recorder.requests[1].url.params["idProperty"] == "shopify_customer_id"


def test_iter_contacts_follows_the_after_cursor(reference_dir: Path) -> None:
    """Pages are fetched until one has no `paging.next`, passing each cursor on."""
    first = reference_body(reference_dir, "contacts-list-response.json")
    last = {"results": [contact_json("33452", email="b@example.com")]}
    client, recorder, _ = make_client(
        scripted(httpx.Response(200, json=first), httpx.Response(200, json=last))
    )
    pages = list(client.iter_contacts(["email", "firstname"], page_size=1))
    assert [[contact.id for contact in page] for page in pages] == [["33451"], ["33452"]]
    assert pages[0][0].properties["email"] == "lorelai@thedragonfly.com"
    assert [request.url.params.get("after") for request in recorder.requests] == [None, "33452"]
    assert recorder.requests[0].url.params["properties"] == "email,firstname"


def test_batch_read_reports_missing_ids_in_chunks_of_100() -> None:
    """Ids HubSpot doesn't return are reported missing; 150 ids take two requests; emails match any case."""

    def handler(request: httpx.Request) -> httpx.Response:
        inputs = [item["id"] for item in json.loads(request.content)["inputs"]]
        found = [
            contact_json(str(i), email=email.upper())
            for i, email in enumerate(inputs)
            if not email.startswith("x")
        ]
        return httpx.Response(200, json={"status": "COMPLETE", "results": found})

    emails = [f"user{i}@example.com" for i in range(148)] + ["xmissing@example.com", "xgone@example.com"]
    client, recorder, _ = make_client(handler)
    contacts, missing = client.batch_read(emails, id_property="email", properties=["firstname"])
    assert len(contacts) == 148
    assert missing == ["xmissing@example.com", "xgone@example.com"]
    bodies = recorder.bodies()
    assert [len(body["inputs"]) for body in bodies] == [100, 50]
    assert bodies[0]["idProperty"] == "email" and bodies[0]["properties"] == ["firstname", "email"]


def test_batch_read_by_id_counts_merged_ids_as_found() -> None:
    """An old id of a merged contact resolves to the survivor and is not reported missing."""
    survivor = contact_json("300", hs_merged_object_ids="100;200")
    client, _, _ = make_client(scripted(httpx.Response(200, json={"results": [survivor]})))
    contacts, missing = client.batch_read(["100", "999"])
    assert [contact.id for contact in contacts] == ["300"]
    assert missing == ["999"]


def test_batch_upsert_results_say_which_were_created() -> None:
    """Upsert sends idProperty per input and returns each result's `new` flag."""
    answer = {"results": [{**contact_json("1"), "new": True}, {**contact_json("2"), "new": False}]}
    client, recorder, _ = make_client(scripted(httpx.Response(200, json=answer)))
    result = client.batch_upsert(
        [("71", {"shopify_orders_count": 2}), ("72", {"shopify_orders_count": None})],
        id_property="shopify_customer_id",
    )
    assert [(contact.id, contact.new) for contact in result.results] == [("1", True), ("2", False)]
    assert recorder.bodies()[0]["inputs"][1] == {
        "id": "72",
        "idProperty": "shopify_customer_id",
        "properties": {"shopify_orders_count": ""},
    }


def test_batches_over_100_are_refused_before_any_request() -> None:
    """A 101-input batch is a programming error, caught without spending a request."""
    client, recorder, _ = make_client(scripted())
    with pytest.raises(ValueError, match="at most 100"):
        client.batch_update([(str(i), {}) for i in range(101)])
    assert recorder.requests == []


def test_search_refuses_a_misspelled_filter_group_key() -> None:
    """A misspelled key would make HubSpot return every contact, so it never leaves the process."""
    client, recorder, _ = make_client(scripted())
    with pytest.raises(ValueError, match="filters"):
        client.search([{"filter": []}], ["email"])
    with pytest.raises(ValueError, match="limit"):
        client.search([], ["email"], limit=201)
    assert recorder.requests == []


def test_search_sends_filters_sorts_and_cursor(reference_dir: Path) -> None:
    """The search body has HubSpot's exact keys and the page exposes total and results."""
    client, recorder, _ = make_client(
        scripted(httpx.Response(200, json=reference_body(reference_dir, "contacts-search-response.json")))
    )
    groups = [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "100"}]}]
    sorts = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
    page = client.search(groups, ["email"], sorts=sorts, limit=200, after="200")
    assert page.total == 2 and page.next_after is None
    assert recorder.bodies()[0] == {
        "filterGroups": groups,
        "properties": ["email"],
        "sorts": sorts,
        "limit": 200,
        "after": "200",
    }


def test_group_and_property_creation_accept_already_exists() -> None:
    """Setup is rerunnable: 409 OBJECT_ALREADY_EXISTS answers False instead of failing."""
    exists = httpx.Response(
        409, json={"status": "error", "message": "exists", "category": "OBJECT_ALREADY_EXISTS"}
    )
    client, recorder, _ = make_client(
        scripted(httpx.Response(201, json={"name": "shopify", "label": "Shopify"}), exists)
    )
    definition = PropertyDefinition(
        name="shopify_total_spent",
        label="Total spent",
        type="number",
        field_type="number",
        group_name="shopify",
    )
    assert client.create_group("shopify", "Shopify") is True
    assert client.create_property(definition) is False
    assert recorder.bodies()[1]["fieldType"] == "number"
    assert recorder.bodies()[1]["hasUniqueValue"] is False


def test_get_property_reads_the_definition_or_none() -> None:
    """A defined property parses into a PropertyDefinition; an undefined one is None."""
    defined = {
        "name": "shopify_customer_id",
        "label": "Shopify id",
        "type": "string",
        "fieldType": "text",
        "groupName": "shopify",
        "hasUniqueValue": True,
    }
    client, _, _ = make_client(scripted(httpx.Response(200, json=defined), httpx.Response(404)))
    definition = client.get_property("shopify_customer_id")
    assert definition is not None and definition.has_unique_value
    assert client.get_property("nope") is None


def test_merge_returns_the_surviving_record() -> None:
    """Merge posts both ids and returns the record whose id callers must adopt."""
    client, recorder, _ = make_client(scripted(httpx.Response(200, json=contact_json("999"))))
    assert client.merge("1", "2").id == "999"
    assert recorder.bodies() == [{"primaryObjectId": "1", "objectIdToMerge": "2"}]


def test_bearer_auth_sets_the_header() -> None:
    """Every request carries the token as a bearer credential."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=contact_json("1"))

    with httpx.Client(transport=httpx.MockTransport(handler), auth=HubSpotAuth("tok")) as http:
        http.get("https://api.hubapi.test/x")
    assert seen == ["Bearer tok"]
