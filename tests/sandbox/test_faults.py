"""Fault injection: seeded error rates, timeouts, latency, and a control endpoint that is never faulted."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandbox.faults import ErrorBody, FaultInjectionMiddleware, FaultPlan, default_error_body, faults_routes
from sandbox.server import serve_in_thread

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 but the project pins httpx; the TestClient still works with it.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


class RecordingSleep:
    """An async sleep that only remembers how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _app(
    plan: FaultPlan, sleep: RecordingSleep | None = None, error_body: ErrorBody = default_error_body
) -> tuple[Starlette, list[str]]:
    handled: list[str] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        handled.append(request.url.path)
        return PlainTextResponse("ok")

    app = Starlette(routes=[*faults_routes(plan), Route("/{path:path}", endpoint, methods=["GET", "POST"])])
    app.add_middleware(
        FaultInjectionMiddleware, plan=plan, sleep=sleep or RecordingSleep(), error_body=error_body
    )
    return app, handled


def _statuses(client: TestClient, path: str, count: int) -> Counter[int]:
    return Counter(client.get(path).status_code for _ in range(count))


def test_error_rates_are_roughly_the_configured_ones():
    """Over 1,000 requests each status appears about as often as its rate says."""
    plan = FaultPlan(error_rates={429: 0.10, 503: 0.05, 423: 0.05}, seed=42)
    app, _ = _app(plan)
    counts = _statuses(TestClient(app), "/crm/v3/objects/contacts", 1000)
    assert 70 <= counts[429] <= 130
    assert 25 <= counts[503] <= 75 and 25 <= counts[423] <= 75
    assert 730 <= counts[200] <= 870
    assert plan.to_json()["stats"] == {
        "requests": 1000,
        "injected": {str(s): counts[s] for s in (423, 429, 503)},
        "holding": 0,
    }


def test_the_same_seed_replays_the_same_faults():
    """Two plans with one seed fault the same requests; PUT resets the sequence."""
    sequences = []
    for _ in range(2):
        app, _handled = _app(FaultPlan(error_rates={500: 0.3}, seed=9))
        client = TestClient(app)
        sequences.append([client.get("/x").status_code for _ in range(50)])
    assert sequences[0] == sequences[1] and 500 in sequences[0] and 200 in sequences[0]
    client.put("/_sandbox/faults", json={"error_rates": {"500": 0.3}, "seed": 9})
    assert [client.get("/x").status_code for _ in range(50)] == sequences[0]


def test_sandbox_control_paths_are_never_faulted():
    """Even with every request set to fail, /_sandbox/* answers normally."""
    plan = FaultPlan(error_rates={503: 1.0})
    app, _ = _app(plan)
    client = TestClient(app)
    assert client.get("/anything").status_code == 503
    assert all(client.get("/_sandbox/faults").status_code == 200 for _ in range(100))
    assert client.get("/_sandbox/state").status_code == 200


def test_paths_regex_limits_faults_to_matching_requests():
    """With `paths` set, only matching paths fail."""
    app, _ = _app(FaultPlan(error_rates={429: 1.0}, paths=r"^/crm/v3/objects/contacts/batch"))
    client = TestClient(app)
    assert client.post("/crm/v3/objects/contacts/batch/upsert").status_code == 429
    assert client.get("/crm/v3/objects/contacts").status_code == 200


def test_faulted_requests_never_reach_the_app_and_use_the_api_error_body():
    """An injected error short-circuits the app and carries the app's own error body and headers."""

    def hubspot_like(status: int) -> tuple[bytes, Mapping[str, str]]:
        return b'{"status":"error","category":"RATE_LIMITS"}', {
            "Content-Type": "application/json",
            "X-Tag": "x",
        }

    app, handled = _app(FaultPlan(error_rates={429: 1.0}), error_body=hubspot_like)
    response = TestClient(app).get("/contacts")
    assert response.status_code == 429
    assert response.json() == {"status": "error", "category": "RATE_LIMITS"}
    assert response.headers["x-tag"] == "x"
    assert handled == []


def test_timeouts_wait_then_answer_504_and_latency_delays_every_request():
    """A timeout waits timeout_seconds before a 504; latency is added to each faultable request."""
    sleep = RecordingSleep()
    app, handled = _app(FaultPlan(timeout_rate=1.0, timeout_seconds=7.5, latency_seconds=0.25), sleep)
    client = TestClient(app)
    assert client.get("/orders").status_code == 504
    assert sleep.waits == [0.25, 7.5]
    assert handled == []


def test_timeout_after_apply_lets_the_write_happen_but_the_client_never_hears():
    """With timeout_after_apply the app handles the request, yet the client still gets the timeout."""
    app, handled = _app(FaultPlan(timeout_rate=1.0, timeout_seconds=0.0, timeout_after_apply=True))
    response = TestClient(app).post("/contacts")
    assert response.status_code == 504 and response.text != "ok"
    assert handled == ["/contacts"]


def test_a_client_with_a_shorter_timeout_sees_a_timeout_over_real_http():
    """Served for real, a faulted request hangs long enough for the client's own timeout to fire."""
    plan = FaultPlan(timeout_rate=1.0, timeout_seconds=1.0)
    app = Starlette(routes=[Route("/slow", lambda request: PlainTextResponse("ok")), *faults_routes(plan)])
    app.add_middleware(FaultInjectionMiddleware, plan=plan)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.base_url) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/slow", timeout=0.2)
        assert client.get("/_sandbox/faults", timeout=2.0).status_code == 200


def test_put_replaces_the_plan_and_rejects_invalid_ones():
    """PUT swaps in a new plan (GET body round-trips); invalid plans get 400 and change nothing."""
    plan = FaultPlan(error_rates={429: 0.5})
    app, _ = _app(plan)
    client = TestClient(app)
    body = client.get("/_sandbox/faults").json()
    body["error_rates"] = {"503": 0.2}
    body["timeout_rate"] = 0.1
    assert client.put("/_sandbox/faults", json=body).json()["error_rates"] == {"503": 0.2}
    assert plan.error_rates == {503: 0.2} and plan.timeout_rate == 0.1
    for bad in (
        {"error_rates": {"503": 1.5}},
        {"timeout_rate": 0.6, "error_rates": {"429": 0.6}},
        {"nope": 1},
    ):
        response = client.put("/_sandbox/faults", json=bad)
        assert response.status_code == 400 and response.json()["error"]
    assert client.put("/_sandbox/faults", content=b"not json").status_code == 400
    assert plan.error_rates == {503: 0.2}
    assert client.put("/_sandbox/faults", json={}).json()["error_rates"] == {}


def test_plan_validation_rejects_impossible_settings():
    """Rates outside 0..1, non-error statuses and bad regexes are refused at construction."""
    with pytest.raises(ValueError):
        FaultPlan(error_rates={200: 0.1})
    with pytest.raises(ValueError):
        FaultPlan(timeout_rate=-0.1)
    with pytest.raises(ValueError):
        FaultPlan(paths="(")
    with pytest.raises(ValueError):
        FaultPlan(hold_paths="(")
    with pytest.raises(ValueError):
        FaultPlan(hold_requests=-1)


def test_a_held_request_waits_unapplied_until_the_plan_is_replaced():
    """The first matching request is parked before the app sees it; others pass; a PUT lets it land."""
    plan = FaultPlan(hold_paths=r"/batch/update$", hold_requests=1)
    handled: list[str] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        handled.append(request.url.path)
        return PlainTextResponse("ok")

    app = Starlette(routes=[*faults_routes(plan), Route("/{path:path}", endpoint, methods=["GET", "POST"])])
    app.add_middleware(FaultInjectionMiddleware, plan=plan)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        with ThreadPoolExecutor(max_workers=1) as pool:
            held = pool.submit(client.post, "/contacts/batch/update")
            while client.get("/_sandbox/faults").json()["stats"]["holding"] == 0:
                time.sleep(0.01)
            assert client.post("/contacts/batch/update").status_code == 200  # only the first one is held
            assert client.get("/contacts").status_code == 200
            assert handled == ["/contacts/batch/update", "/contacts"]

            client.put("/_sandbox/faults", json={})

            assert held.result().status_code == 200
    assert handled[-1] == "/contacts/batch/update"
