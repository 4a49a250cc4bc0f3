"""Contact search in the sandbox: index lag, limits, filters, paging and its own rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.hubspot_sandbox import CONTACTS, Sandbox, make_sandbox

SEARCH = f"{CONTACTS}/search"


def _eq(name: str, value: str) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}]}


def _emails(sb: Sandbox, body: dict[str, Any]) -> list[str]:
    response = sb.client.post(SEARCH, json=body)
    assert response.status_code == 200, response.text
    return [r["properties"]["email"] for r in response.json()["results"]]


def test_new_contacts_stay_invisible_until_the_index_catches_up() -> None:
    """A contact created less than the lag ago is not found; after the lag it is."""
    sb = make_sandbox(search_index_lag_seconds=3.0)
    sb.create(email="new@x.com")
    assert _emails(sb, _eq("email", "new@x.com")) == []
    sb.clock.advance(2.9)
    assert _emails(sb, _eq("email", "new@x.com")) == []
    sb.clock.advance(0.2)
    assert _emails(sb, _eq("email", "new@x.com")) == ["new@x.com"]


def test_recent_updates_show_old_values_in_search() -> None:
    """Within the lag search still matches and returns the previous values."""
    sb = make_sandbox(search_index_lag_seconds=3.0)
    contact_id = sb.create(email="a@x.com", firstname="Old")["id"]
    sb.clock.advance(5)
    sb.client.patch(f"{CONTACTS}/{contact_id}", json={"properties": {"firstname": "New"}})
    stale = sb.client.post(SEARCH, json=_eq("firstname", "old")).json()
    assert stale["results"][0]["properties"]["firstname"] == "Old"
    sb.clock.advance(3)
    assert sb.client.post(SEARCH, json=_eq("firstname", "old")).json()["total"] == 0
    assert sb.client.post(SEARCH, json=_eq("firstname", "new")).json()["total"] == 1


def test_paging_past_ten_thousand_results_is_refused() -> None:
    """after >= 10,000 is a 400; just below is served."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    assert sb.client.post(SEARCH, json={"after": "9999"}).status_code == 200
    response = sb.client.post(SEARCH, json={"after": "10000"})
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_search_pages_with_numeric_offsets_and_a_total() -> None:
    """`total` counts all matches; `paging.next.after` is the next offset; limit > 200 is 400."""
    sb = make_sandbox()
    for i in range(5):
        sb.create(email=f"c{i}@x.com")
    first = sb.client.post(SEARCH, json={"limit": 2}).json()
    assert first["total"] == 5 and first["paging"]["next"]["after"] == "2"
    last = sb.client.post(SEARCH, json={"limit": 2, "after": "4"}).json()
    assert len(last["results"]) == 1 and "paging" not in last
    assert sb.client.post(SEARCH, json={"limit": 201}).status_code == 400


def test_search_allows_five_requests_per_second_without_rate_headers() -> None:
    """The 6th search within a second is 429 SECONDLY; no X-HubSpot-RateLimit headers."""
    sb = make_sandbox()
    responses = [sb.client.post(SEARCH, json={}) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert responses[5].json()["policyName"] == "SECONDLY"
    assert not any(h.lower().startswith("x-hubspot-ratelimit") for h in responses[0].headers)
    assert not any(h.lower().startswith("x-hubspot-ratelimit") for h in responses[5].headers)
    sb.clock.advance(1.0)
    assert sb.client.post(SEARCH, json={}).status_code == 200


@pytest.mark.parametrize(
    "groups",
    [
        [{"filters": []}] * 6,
        [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}],
        [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 6}] * 4,
    ],
    ids=["6-groups", "7-filters-in-a-group", "24-filters"],
)
def test_too_many_groups_or_filters_is_400(groups: list[dict[str, Any]]) -> None:
    """At most 5 groups, 6 filters per group and 18 filters in total."""
    response = make_sandbox().client.post(SEARCH, json={"filterGroups": groups})
    assert response.status_code == 400


def test_misspelled_filter_groups_key_returns_everything() -> None:
    """`filterGroup` (singular) is ignored like on the real API."""
    sb = make_sandbox()
    sb.create(email="a@x.com")
    sb.create(email="b@x.com")
    body = {"filterGroup": _eq("email", "a@x.com")["filterGroups"]}
    assert sorted(_emails(sb, body)) == ["a@x.com", "b@x.com"]


def test_email_eq_does_not_match_additional_emails() -> None:
    """Searching `email` misses additional emails; `hs_additional_emails EQ` finds them."""
    sb = make_sandbox()
    sb.create(email="main@x.com", hs_additional_emails="alt@x.com;other@x.com")
    assert _emails(sb, _eq("email", "alt@x.com")) == []
    assert _emails(sb, _eq("hs_additional_emails", "alt@x.com")) == ["main@x.com"]


def test_operators_compare_typed_values() -> None:
    """Numbers compare numerically, IN wants lowercase values, OR across groups."""
    sb = make_sandbox()
    sb.define("orders", "number", "number")
    for email, orders in (("a@x.com", "9"), ("b@x.com", "10"), ("c@x.com", "")):
        sb.create(email=email, orders=orders) if orders else sb.create(email=email)

    def run(*filters: dict[str, Any]) -> list[str]:
        groups = [{"filters": [f]} for f in filters]
        return sorted(_emails(sb, {"filterGroups": groups}))

    assert run({"propertyName": "orders", "operator": "GT", "value": "9"}) == ["b@x.com"]
    assert run({"propertyName": "orders", "operator": "NOT_HAS_PROPERTY"}) == ["c@x.com"]
    assert run({"propertyName": "email", "operator": "IN", "values": ["a@x.com"]}) == ["a@x.com"]
    assert run({"propertyName": "email", "operator": "IN", "values": ["A@X.COM"]}) == []
    assert run(
        {"propertyName": "orders", "operator": "LTE", "value": "9"},
        {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "c"},
    ) == ["a@x.com", "c@x.com"]


def test_one_sort_orders_results_and_two_are_refused() -> None:
    """sorts takes one property and direction."""
    sb = make_sandbox()
    for name in ("b", "c", "a"):
        sb.create(email=f"{name}@x.com", firstname=name)
    by_name = {"sorts": [{"propertyName": "firstname", "direction": "DESCENDING"}]}
    assert _emails(sb, by_name) == ["c@x.com", "b@x.com", "a@x.com"]
    two = {"sorts": [{"propertyName": "firstname"}, {"propertyName": "email"}]}
    assert sb.client.post(SEARCH, json=two).status_code == 400
