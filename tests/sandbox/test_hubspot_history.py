"""Property history: every write of a property, newest first, on reads asking for `propertiesWithHistory`."""

from __future__ import annotations

from tests.sandbox.hubspot_sandbox import CONTACTS, make_sandbox


def test_every_write_is_listed_newest_first_with_its_source() -> None:
    """Creates and updates by the app (INTEGRATION), a UI edit (CRM_UI) and a clear ("") are all listed;
    each entry has HubSpot's keys, and the same value written twice is listed twice."""
    sb = make_sandbox()
    sb.define("lead_score", "number", "number")
    contact_id = sb.create(email="a@x.com", lead_score="1")["id"]
    sb.clock.advance(60)
    sb.client.patch(f"{CONTACTS}/{contact_id}", json={"properties": {"lead_score": "2"}})
    sb.clock.advance(60)
    sb.client.patch(f"{CONTACTS}/{contact_id}", json={"properties": {"lead_score": "2"}})
    sb.client.patch(f"/_sandbox/contacts/{contact_id}", json={"properties": {"lead_score": ""}})

    body = sb.client.get(
        f"{CONTACTS}/{contact_id}", params={"propertiesWithHistory": "lead_score,email,unknown"}
    ).json()

    history = body["propertiesWithHistory"]
    assert set(history) == {"lead_score", "email"}
    assert [(e["value"], e["sourceType"]) for e in history["lead_score"]] == [
        ("", "CRM_UI"),
        ("2", "INTEGRATION"),
        ("2", "INTEGRATION"),
        ("1", "INTEGRATION"),
    ]
    assert set(history["lead_score"][0]) == {"value", "timestamp", "sourceType", "sourceId"}
    stamps = [e["timestamp"] for e in history["lead_score"]]
    assert stamps == sorted(stamps, reverse=True) and stamps[-1] < stamps[1]
    assert [e["value"] for e in history["email"]] == ["a@x.com"]


def test_batch_read_and_list_return_history_when_asked() -> None:
    """Batch read takes `propertiesWithHistory` in the body, the list endpoint as a query parameter."""
    sb = make_sandbox()
    created = sb.create(email="a@x.com", firstname="Ann")["id"]
    sb.client.patch(f"{CONTACTS}/{created}", json={"properties": {"firstname": "Anne"}})

    batch = sb.client.post(
        f"{CONTACTS}/batch/read",
        json={"inputs": [{"id": created}], "properties": ["email"], "propertiesWithHistory": ["firstname"]},
    ).json()
    listed = sb.client.get(CONTACTS, params={"propertiesWithHistory": "firstname"}).json()
    plain = sb.client.get(CONTACTS).json()

    for record in (batch["results"][0], listed["results"][0]):
        assert [e["value"] for e in record["propertiesWithHistory"]["firstname"]] == ["Anne", "Ann"]
    assert "propertiesWithHistory" not in plain["results"][0]


def test_a_merged_contact_keeps_both_histories() -> None:
    """The record a merge creates lists the writes of both contacts it absorbed, newest first."""
    sb = make_sandbox()
    first = sb.create(email="a@x.com", firstname="Ann")["id"]
    sb.clock.advance(10)
    second = sb.create(email="b@x.com", firstname="Bea")["id"]

    merged = sb.client.post(
        f"{CONTACTS}/merge", json={"primaryObjectId": first, "objectIdToMerge": second}
    ).json()["id"]

    history = sb.client.get(f"{CONTACTS}/{merged}", params={"propertiesWithHistory": "firstname"}).json()
    assert [e["value"] for e in history["propertiesWithHistory"]["firstname"]] == ["Bea", "Ann"]
