"""Property definitions and groups in the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.hubspot_sandbox import PROPERTIES, make_sandbox

PROPERTIES_2026 = "/crm/properties/2026-03/contacts"
BUILT_INS = {
    "email", "firstname", "lastname", "phone", "hs_additional_emails", "createdate",
    "lastmodifieddate", "hs_object_id", "hs_merged_object_ids", "lifecyclestage",
}  # fmt: skip


def _definition(name: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "label": name, "type": "string", "fieldType": "text"}
    return body | {"groupName": "contactinformation", **extra}


def test_built_in_properties_are_listed() -> None:
    """The HubSpot-defined contact properties exist from the start."""
    results = make_sandbox().client.get(PROPERTIES).json()["results"]
    assert BUILT_INS <= {p["name"] for p in results}


def test_create_is_201_then_409_and_readable_on_both_paths() -> None:
    """A new property is 201; the same name again is 409 OBJECT_ALREADY_EXISTS."""
    sb = make_sandbox()
    created = sb.client.post(PROPERTIES, json=_definition("shopify_tier"))
    assert created.status_code == 201
    assert created.json()["hasUniqueValue"] is False
    again = sb.client.post(PROPERTIES_2026, json=_definition("shopify_tier"))
    assert again.status_code == 409
    assert again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert sb.client.get(f"{PROPERTIES_2026}/shopify_tier").json()["label"] == "shopify_tier"
    assert sb.client.get(f"{PROPERTIES}/no_such").status_code == 404


def test_at_most_ten_unique_properties() -> None:
    """The 11th hasUniqueValue property is refused with 400."""
    sb = make_sandbox()
    for i in range(10):
        response = sb.client.post(PROPERTIES, json=_definition(f"u{i}", hasUniqueValue=True))
        assert response.status_code == 201
    eleventh = sb.client.post(PROPERTIES, json=_definition("u10", hasUniqueValue=True))
    assert eleventh.status_code == 400
    assert sb.client.post(PROPERTIES, json=_definition("plain")).status_code == 201


@pytest.mark.parametrize(
    ("kind", "field_type", "status"),
    [
        ("number", "number", 201),
        ("date", "date", 201),
        ("datetime", "date", 201),
        ("bool", "booleancheckbox", 201),
        ("enumeration", "select", 201),
        ("number", "text", 400),
        ("date", "number", 400),
        ("colour", "text", 400),
    ],
)
def test_type_and_field_type_must_pair(kind: str, field_type: str, status: int) -> None:
    """Only HubSpot's type/fieldType pairs are accepted."""
    body = _definition("p", type=kind, fieldType=field_type)
    assert make_sandbox().client.post(PROPERTIES, json=body).status_code == status


def test_missing_group_is_refused_until_the_group_exists() -> None:
    """A property needs an existing group; groups are 201 then 409."""
    sb = make_sandbox()
    body = _definition("shopify_total", groupName="shopify")
    assert sb.client.post(PROPERTIES, json=body).status_code == 400
    group = {"name": "shopify", "label": "Shopify"}
    assert sb.client.post(f"{PROPERTIES}/groups", json=group).status_code == 201
    assert sb.client.post(f"{PROPERTIES}/groups", json=group).status_code == 409
    assert sb.client.post(PROPERTIES, json=body).status_code == 201
    names = {g["name"] for g in sb.client.get(f"{PROPERTIES}/groups").json()["results"]}
    assert "shopify" in names


def test_patch_changes_label_but_not_uniqueness_or_built_ins() -> None:
    """PATCH edits a custom definition; hasUniqueValue and HubSpot-defined ones are fixed."""
    sb = make_sandbox()
    sb.client.post(PROPERTIES, json=_definition("tier"))
    patched = sb.client.patch(f"{PROPERTIES}/tier", json={"label": "Tier"})
    assert patched.status_code == 200 and patched.json()["label"] == "Tier"
    unique = sb.client.patch(f"{PROPERTIES}/tier", json={"hasUniqueValue": True})
    assert unique.status_code == 400
    assert sb.client.patch(f"{PROPERTIES}/email", json={"label": "E"}).status_code == 400


def test_enumeration_values_must_be_options() -> None:
    """An enumeration accepts only its option values."""
    sb = make_sandbox()
    options = [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}]
    sb.define("tier", "enumeration", "select", options=options)
    ok = sb.client.post("/crm/v3/objects/contacts", json={"properties": {"tier": "gold"}})
    bad = sb.client.post("/crm/v3/objects/contacts", json={"properties": {"tier": "bronze"}})
    assert ok.status_code == 201
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "INVALID_OPTION"
