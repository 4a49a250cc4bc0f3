"""HubSpot's per-app limits in the sandbox: headers, the 10 s window, the daily cap, counters."""

from __future__ import annotations

from tests.sandbox.hubspot_sandbox import CONTACTS, make_sandbox

RATE_HEADERS = {
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
}


def test_every_api_response_carries_rate_limit_headers() -> None:
    """Successes and errors report the daily and 10-second budgets."""
    sb = make_sandbox()
    ok = sb.client.get(CONTACTS)
    error = sb.client.get(f"{CONTACTS}/999")
    for response in (ok, error):
        assert all(name in response.headers for name in RATE_HEADERS)
    assert ok.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert ok.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert ok.headers["X-HubSpot-RateLimit-Remaining"] == "189"
    assert error.headers["X-HubSpot-RateLimit-Remaining"] == "188"
    assert error.headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(625_000 - 2)


def test_request_191_in_ten_seconds_is_429_until_the_window_rolls() -> None:
    """190 requests fit in a rolling 10 s window; the 191st gets TEN_SECONDLY_ROLLING."""
    sb = make_sandbox()
    statuses = [sb.client.get(CONTACTS).status_code for _ in range(190)]
    assert statuses == [200] * 190
    refused = sb.client.get(CONTACTS)
    assert refused.status_code == 429
    assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    sb.clock.advance(9.9)
    assert sb.client.get(CONTACTS).status_code == 429
    sb.clock.advance(0.2)
    assert sb.client.get(CONTACTS).status_code == 200


def test_the_window_is_rolling_not_fixed() -> None:
    """Requests leave the window 10 s after they were made, one batch at a time."""
    sb = make_sandbox(ten_second_limit=10)
    for _ in range(6):
        sb.client.get(CONTACTS)
    sb.clock.advance(5)
    for _ in range(4):
        sb.client.get(CONTACTS)
    assert sb.client.get(CONTACTS).status_code == 429
    sb.clock.advance(5.1)  # the first six have left; the last four are still in
    assert [sb.client.get(CONTACTS).status_code for _ in range(7)] == [200] * 6 + [429]


def test_counters_count_served_requests_only() -> None:
    """429s and 401s cost nothing; the busiest window never exceeds the limit."""
    sb = make_sandbox(ten_second_limit=5)
    for _ in range(8):
        sb.client.get(CONTACTS)
    sb.client.get(CONTACTS, headers={"Authorization": "Bearer wrong"})
    sb.client.post(f"{CONTACTS}/search", json={})
    counters = sb.client.get("/_sandbox/state").json()["counters"]
    assert counters["served"] == 6
    assert counters["per_endpoint"] == {
        "GET objects/contacts": 5,
        "POST objects/contacts/search": 1,
    }
    assert counters["rate_limited"] == {"TEN_SECONDLY_ROLLING": 3}
    assert counters["max_in_ten_seconds"] == 5
    assert counters["max_search_in_one_second"] == 1


def test_daily_cap_is_429_daily_until_the_next_day() -> None:
    """Past the daily cap every call is 429 DAILY, searches included, until a day passes."""
    sb = make_sandbox(daily_limit=3)
    for _ in range(3):
        sb.client.get(CONTACTS)
    sb.clock.advance(60)
    refused = sb.client.get(CONTACTS)
    assert refused.status_code == 429 and refused.json()["policyName"] == "DAILY"
    assert sb.client.post(f"{CONTACTS}/search", json={}).json()["policyName"] == "DAILY"
    sb.clock.advance(86_400)
    assert sb.client.get(CONTACTS).status_code == 200
