"""Single-contact endpoints of the sandbox: auth, listing, reads, creates, updates, merges."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.hubspot_sandbox import CONTACTS, CONTACTS_2026, make_sandbox

EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")


def test_requests_without_a_bearer_token_are_refused() -> None:
    """A missing or wrong token gets 401 INVALID_AUTHENTICATION."""
    sb = make_sandbox()
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        response = sb.client.get(CONTACTS, headers=headers)
        assert response.status_code == 401
        assert response.json()["category"] == "INVALID_AUTHENTICATION"


def test_both_path_families_serve_the_same_contacts() -> None:
    """/crm/v3/objects and /crm/objects/2026-03 are the same API."""
    sb = make_sandbox()
    created = sb.client.post(CONTACTS_2026, json={"properties": {"email": "a@x.com"}}).json()
    fetched = sb.client.get(f"{CONTACTS}/{created['id']}").json()
    assert fetched["properties"]["email"] == "a@x.com"


def test_list_pages_by_id_cursor_and_omits_paging_on_the_last_page() -> None:
    """`after` walks every contact exactly once; the last page has no `paging`."""
    sb = make_sandbox()
    created = [sb.create(email=f"c{i}@x.com")["id"] for i in range(5)]
    seen, after, pages = [], None, []
    while True:
        params = {"limit": 2} | ({"after": after} if after else {})
        page = sb.client.get(CONTACTS, params=params).json()
        pages.append(page)
        seen += [r["id"] for r in page["results"]]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
        assert page["paging"]["next"]["link"].startswith("http://hubspot.sandbox/crm/v3/")
    assert seen == created
    assert len(pages) == 3


def test_list_limit_above_100_is_refused() -> None:
    """limit=101 is a 400 VALIDATION_ERROR."""
    response = make_sandbox().client.get(CONTACTS, params={"limit": 101})
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_default_undefined_and_empty_properties() -> None:
    """Defaults when none asked; unknown names omitted; defined-but-empty ones null."""
    sb = make_sandbox()
    contact_id = sb.create(email="a@x.com", firstname="Ann")["id"]
    default = sb.client.get(f"{CONTACTS}/{contact_id}").json()["properties"]
    assert set(default) == {
        "email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"
    }  # fmt: skip
    assert default["lastname"] is None
    asked = sb.client.get(CONTACTS, params={"properties": "firstname,phone,no_such_prop"}).json()
    properties = asked["results"][0]["properties"]
    assert properties["firstname"] == "Ann" and properties["phone"] is None
    assert "no_such_prop" not in properties and "email" not in properties


def test_get_by_email_or_unique_property_and_404_otherwise() -> None:
    """idProperty=email is case-insensitive; a unique property works too; misses are 404."""
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    contact_id = sb.create(email="Ann@X.com", shopify_customer_id="77")["id"]
    by_email = sb.client.get(f"{CONTACTS}/ann@x.com", params={"idProperty": "email"})
    by_unique = sb.client.get(f"{CONTACTS}/77", params={"idProperty": "shopify_customer_id"})
    assert by_email.json()["id"] == by_unique.json()["id"] == contact_id
    missing = sb.client.get(f"{CONTACTS}/bob@x.com", params={"idProperty": "email"})
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"
    non_unique = sb.client.get(f"{CONTACTS}/Ann", params={"idProperty": "firstname"})
    assert non_unique.status_code == 400


@pytest.mark.parametrize("email", ["ANN@x.com", "second@x.com"])
def test_duplicate_email_is_409_naming_the_existing_id(email: str) -> None:
    """A taken email (any case, or another contact's additional email) gets the 409 text."""
    sb = make_sandbox()
    existing = sb.create(email="ann@x.com", hs_additional_emails="second@x.com")["id"]
    response = sb.client.post(CONTACTS, json={"properties": {"email": email}})
    assert response.status_code == 409
    assert response.json()["message"] == f"Contact already exists. Existing ID: {existing}"
    match = EXISTING_ID.search(response.json()["message"])
    assert match is not None and match.group(1) == existing
    assert len(sb.store.contacts()) == 1


def test_duplicate_unique_value_is_409() -> None:
    """Two contacts cannot share a unique property value."""
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    first = sb.create(email="a@x.com", shopify_customer_id="1")["id"]
    response = sb.client.post(CONTACTS, json={"properties": {"email": "b@x.com", "shopify_customer_id": "1"}})
    assert response.status_code == 409
    assert EXISTING_ID.search(response.json()["message"]).group(1) == first  # type: ignore[union-attr]


def test_patch_clears_with_empty_string_and_bumps_lastmodifieddate() -> None:
    """ "" removes a value; every write moves lastmodifieddate forward."""
    sb = make_sandbox()
    created = sb.create(email="a@x.com", firstname="Ann")
    sb.clock.advance(5)
    url = f"{CONTACTS}/{created['id']}"
    patched = sb.client.patch(url, json={"properties": {"firstname": ""}}).json()
    assert "firstname" not in patched["properties"]
    assert sb.client.get(url).json()["properties"]["firstname"] is None
    before = created["properties"]["lastmodifieddate"]
    assert patched["properties"]["lastmodifieddate"] > before
    assert patched["updatedAt"] > created["updatedAt"]


def test_patch_by_unique_id_property() -> None:
    """PATCH ?idProperty=<unique> updates the contact holding that value."""
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    contact_id = sb.create(email="a@x.com", shopify_customer_id="9")["id"]
    response = sb.client.patch(
        f"{CONTACTS}/9",
        params={"idProperty": "shopify_customer_id"},
        json={"properties": {"firstname": "Ann"}},
    )
    assert response.json()["id"] == contact_id
    assert sb.store.contacts()[0].properties["firstname"] == "Ann"


def test_unknown_property_is_a_validation_error() -> None:
    """Writing an undefined property is 400 PROPERTY_DOESNT_EXIST and writes nothing."""
    sb = make_sandbox()
    response = sb.client.post(CONTACTS, json={"properties": {"email": "a@x.com", "nope": "1"}})
    assert response.status_code == 400
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert body["errors"][0]["context"] == {"propertyName": ["nope"]}
    assert sb.store.contacts() == []


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("2026-11-27", "2026-11-27"), ("1795737600000", "2026-11-27")],
)
def test_dates_at_midnight_utc_are_accepted_and_echoed_as_iso_dates(raw: str, stored: str) -> None:
    """`YYYY-MM-DD` or epoch ms at 00:00 UTC are stored and echoed as `YYYY-MM-DD`."""
    sb = make_sandbox()
    sb.define("last_order_date", "date", "date")
    contact = sb.create(email="a@x.com", last_order_date=raw)
    assert contact["properties"]["last_order_date"] == stored


@pytest.mark.parametrize("raw", ["1795780800000", "2026-11-27T12:00:00Z", "27/11/2026"])
def test_dates_not_at_midnight_utc_are_refused(raw: str) -> None:
    """A date that is not midnight UTC is 400 INVALID_DATE."""
    sb = make_sandbox()
    sb.define("last_order_date", "date", "date")
    response = sb.client.post(CONTACTS, json={"properties": {"email": "a@x.com", "last_order_date": raw}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "INVALID_DATE"


def test_number_properties_must_parse_and_stay_strings() -> None:
    """ "12.50" is kept as the string sent; "twelve" is refused."""
    sb = make_sandbox()
    sb.define("total_spent", "number", "number")
    contact = sb.create(email="a@x.com", total_spent="12.50")
    assert contact["properties"]["total_spent"] == "12.50"
    bad = sb.client.patch(f"{CONTACTS}/{contact['id']}", json={"properties": {"total_spent": "twelve"}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["context"] == {"propertyName": ["total_spent"]}


def test_unique_value_can_be_stamped_once_but_never_changed() -> None:
    """An empty unique property may be set once; changing or clearing it is 400."""
    sb = make_sandbox()
    sb.define("shopify_customer_id", hasUniqueValue=True)
    url = f"{CONTACTS}/{sb.create(email='a@x.com')['id']}"
    stamped = sb.client.patch(url, json={"properties": {"shopify_customer_id": "5"}})
    assert stamped.status_code == 200
    for value in ("6", ""):
        changed = sb.client.patch(url, json={"properties": {"shopify_customer_id": value}})
        assert changed.status_code == 400
    assert sb.store.contacts()[0].properties["shopify_customer_id"] == "5"


def test_unique_value_only_at_create_when_configured() -> None:
    """With unique_value_only_at_create, even the first stamp of an existing contact is 400."""
    sb = make_sandbox(unique_value_only_at_create=True)
    sb.define("shopify_customer_id", hasUniqueValue=True)
    url = f"{CONTACTS}/{sb.create(email='a@x.com')['id']}"
    response = sb.client.patch(url, json={"properties": {"shopify_customer_id": "5"}})
    assert response.status_code == 400


def test_merge_returns_a_new_id_and_old_ids_resolve_to_it() -> None:
    """After a merge both old ids read the survivor, which lists them in hs_merged_object_ids."""
    sb = make_sandbox()
    primary = sb.create(email="a@x.com", firstname="Ann")["id"]
    absorbed = sb.create(email="old@x.com", lastname="Lee")["id"]
    merged = sb.client.post(
        f"{CONTACTS}/merge", json={"primaryObjectId": primary, "objectIdToMerge": absorbed}
    ).json()
    assert merged["id"] not in (primary, absorbed)
    props = "email,firstname,lastname,hs_merged_object_ids,hs_additional_emails"
    for old in (primary, absorbed):
        fetched = sb.client.get(f"{CONTACTS}/{old}", params={"properties": props}).json()
        assert fetched["id"] == merged["id"]
        assert fetched["properties"]["hs_merged_object_ids"] == f"{primary};{absorbed}"
        assert fetched["properties"]["email"] == "a@x.com"
        assert fetched["properties"]["lastname"] == "Lee"
        assert fetched["properties"]["hs_additional_emails"] == "old@x.com"
    assert [c.id for c in sb.store.contacts()] == [merged["id"]]


def test_archived_contacts_are_listed_only_with_archived_true() -> None:
    """DELETE archives; archived=true lists only archived records."""
    sb = make_sandbox()
    kept, gone = sb.create(email="a@x.com")["id"], sb.create(email="b@x.com")["id"]
    assert sb.client.delete(f"{CONTACTS}/{gone}").status_code == 204
    live = [r["id"] for r in sb.client.get(CONTACTS).json()["results"]]
    archived = sb.client.get(CONTACTS, params={"archived": "true"}).json()["results"]
    assert live == [kept]
    assert [(r["id"], r["archived"]) for r in archived] == [(gone, True)]


def test_emails_stay_taken_after_a_merge_and_are_freed_by_archiving() -> None:
    """An absorbed email conflicts with the merged record; an archived contact's email is free."""
    sb = make_sandbox()
    a, b = sb.create(email="a@x.com")["id"], sb.create(email="b@x.com")["id"]
    merged = sb.client.post(f"{CONTACTS}/merge", json={"primaryObjectId": a, "objectIdToMerge": b}).json()
    again = sb.client.post(CONTACTS, json={"properties": {"email": "B@x.com"}})
    assert EXISTING_ID.search(again.json()["message"]).group(1) == merged["id"]  # type: ignore[union-attr]
    sb.client.delete(f"{CONTACTS}/{merged['id']}")
    assert sb.client.post(CONTACTS, json={"properties": {"email": "b@x.com"}}).status_code == 201
