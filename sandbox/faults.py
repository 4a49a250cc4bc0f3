"""Fault injection for the sandbox APIs: seeded error statuses, timeouts, latency, and held requests.

Both sandbox apps wrap themselves in `FaultInjectionMiddleware` (with their own API-shaped error bodies) and
mount `faults_routes(plan)`, so a test or drill can `PUT /_sandbox/faults` and watch the product cope.
`/_sandbox/*` itself is never faulted, or a drill could lock itself out of the switch.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX: Final = "/_sandbox"
TIMEOUT: Final = "timeout"

ErrorBody = Callable[[int], tuple[bytes, Mapping[str, str]]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class FaultPlan:
    """Which faults to inject and how often; mutable so the control endpoint can change it live.

    Rates are probabilities per request: one seeded draw per eligible request, so a plan and a request
    sequence always give the same faults. `timeout_after_apply` lets a timed-out request reach the app
    first: the write happens but the client never hears of it, the nastiest case for idempotency.

    `hold_requests` holds the next that many requests whose path matches `hold_paths` before the app sees
    them, until the plan is replaced (any `PUT /_sandbox/faults`): a drill can freeze a writer with its
    request in flight, let another writer act, then let the first one land.
    """

    error_rates: dict[int, float] = field(default_factory=dict)
    timeout_rate: float = 0.0
    timeout_seconds: float = 10.0
    latency_seconds: float = 0.0
    paths: str = ""
    seed: int = 0
    timeout_after_apply: bool = False
    hold_paths: str = ""
    hold_requests: int = 0
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _requests: int = field(init=False, repr=False, compare=False, default=0)
    _injected: dict[str, int] = field(init=False, repr=False, compare=False, default_factory=dict)
    _generation: int = field(init=False, repr=False, compare=False, default=0)
    _held: int = field(init=False, repr=False, compare=False, default=0)
    _holding: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        self._validate()
        self.reset()

    def reset(self) -> None:
        """Restart the random sequence from `seed`, zero the counters and release every held request."""
        self._rng = random.Random(self.seed)
        self._requests = 0
        self._injected = {}
        self._generation += 1
        self._held = 0

    def holds(self, path: str) -> bool:
        """Whether a request to `path` is to be held (and counts it as held if so)."""
        if self._held >= self.hold_requests or not self.hold_paths or _is_control(path):
            return False
        if re.search(self.hold_paths, path) is None:
            return False
        self._held += 1
        return True

    async def wait_for_release(self) -> None:
        """Park a held request until the plan is replaced."""
        generation = self._generation
        self._holding += 1
        try:
            while self._generation == generation:
                await asyncio.sleep(0.01)
        finally:
            self._holding -= 1

    def applies_to(self, path: str) -> bool:
        """Whether a request to `path` is eligible for faults."""
        if _is_control(path):
            return False
        return not self.paths or re.search(self.paths, path) is not None

    def draw(self) -> int | str | None:
        """The fault for the next eligible request: a status code, `TIMEOUT`, or None for no fault."""
        self._requests += 1
        roll = self._rng.random()
        outcome: int | str | None = None
        if roll < self.timeout_rate:
            outcome = TIMEOUT
        else:
            threshold = self.timeout_rate
            for status, rate in sorted(self.error_rates.items()):
                threshold += rate
                if roll < threshold:
                    outcome = status
                    break
        if outcome is not None:
            self._injected[str(outcome)] = self._injected.get(str(outcome), 0) + 1
        return outcome

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON (status keys as strings), plus what it has injected so far under `stats`."""
        return {
            "error_rates": {str(status): rate for status, rate in sorted(self.error_rates.items())},
            "timeout_rate": self.timeout_rate,
            "timeout_seconds": self.timeout_seconds,
            "latency_seconds": self.latency_seconds,
            "paths": self.paths,
            "seed": self.seed,
            "timeout_after_apply": self.timeout_after_apply,
            "hold_paths": self.hold_paths,
            "hold_requests": self.hold_requests,
            "stats": {"requests": self._requests, "injected": dict(self._injected), "holding": self._holding},
        }

    def load(self, config: Mapping[str, Any]) -> None:
        """Replace every setting with `config` (missing keys take their defaults) and reset.

        `stats` is ignored, so a GET body can be edited and PUT back.

        Raises:
            ValueError: on unknown keys or invalid values; the plan is then left unchanged.
        """
        settings = {key: value for key, value in config.items() if key != "stats"}
        known = {item.name for item in fields(self) if item.init}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(
                f"unknown fault setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        rates = settings.get("error_rates", {})
        if not isinstance(rates, Mapping):
            raise ValueError("error_rates must be an object of status -> probability")
        try:
            settings["error_rates"] = {int(status): float(rate) for status, rate in rates.items()}
            candidate = FaultPlan(**settings)
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid fault plan: {error}") from error
        for item in fields(self):
            if item.init:
                setattr(self, item.name, getattr(candidate, item.name))
        self.reset()

    def _validate(self) -> None:
        for status, rate in self.error_rates.items():
            if not 400 <= status <= 599:
                raise ValueError(f"error status must be 4xx/5xx, got {status}")
            _check_probability(f"error_rates[{status}]", rate)
        _check_probability("timeout_rate", self.timeout_rate)
        if self.timeout_rate + sum(self.error_rates.values()) > 1.0 + 1e-9:
            raise ValueError("timeout_rate plus all error rates must not exceed 1")
        if self.timeout_seconds < 0 or self.latency_seconds < 0:
            raise ValueError("timeout_seconds and latency_seconds must be >= 0")
        count = self.hold_requests
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"hold_requests must be a whole number >= 0, got {self.hold_requests!r}")
        for name in ("paths", "hold_paths"):
            try:
                re.compile(getattr(self, name))
            except re.error as error:
                raise ValueError(f"{name} is not a valid regex: {error}") from error


def _is_control(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _check_probability(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")


def default_error_body(status: int) -> tuple[bytes, Mapping[str, str]]:
    """A generic JSON error; apps pass their own API-shaped bodies instead."""
    headers = {"Content-Type": "application/json"}
    if status == 429:
        headers["Retry-After"] = "1"
    return json.dumps({"errors": f"Injected fault: HTTP {status}"}).encode(), headers


class FaultInjectionMiddleware:
    """Pure ASGI middleware that answers some requests with faults instead of the app.

    Args:
        app: the sandbox app whose requests may be faulted.
        plan: the live plan (shared with `faults_routes`).
        error_body: builds the body and headers for an injected status.
        sleep: awaited for latency and timeouts; tests inject a fake.
    """

    def __init__(
        self,
        app: ASGIApp,
        plan: FaultPlan,
        error_body: ErrorBody = default_error_body,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.app = app
        self.plan = plan
        self.error_body = error_body
        self._sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.plan.holds(scope["path"]):
            await self.plan.wait_for_release()
        if scope["type"] != "http" or not self.plan.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.plan.latency_seconds > 0:
            await self._sleep(self.plan.latency_seconds)
        fault = self.plan.draw()
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault == TIMEOUT:
            if self.plan.timeout_after_apply:
                await self.app(scope, receive, _discard)
            # The client gives up first if its timeout is shorter; otherwise it gets a gateway timeout.
            await self._sleep(self.plan.timeout_seconds)
            fault = 504
        await self._respond(send, int(fault))

    async def _respond(self, send: Send, status: int) -> None:
        body, headers = self.error_body(status)
        raw_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ]
        raw_headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


async def _discard(message: Message) -> None:
    """Swallow the app's response: the client of a timed-out request never sees it."""


def faults_routes(plan: FaultPlan) -> list[Route]:
    """`GET /_sandbox/faults` (the plan as JSON) and `PUT /_sandbox/faults` (replace it; 400 if invalid)."""

    async def faults_endpoint(request: Request) -> JSONResponse:
        if request.method == "PUT":
            try:
                config = json.loads(await request.body() or b"{}")
                if not isinstance(config, dict):
                    raise ValueError("the fault plan must be a JSON object")
                plan.load(config)
            except ValueError as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(plan.to_json())

    return [Route(CONTROL_PREFIX + "/faults", faults_endpoint, methods=["GET", "PUT"])]
