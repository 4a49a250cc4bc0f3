"""The rolling-window pacer keeps every window under HubSpot's limit, on a simulated clock."""

from __future__ import annotations

import random

import httpx
import pytest

from tasks.hubspot.pacing import Pacer
from tests.tasks.hubspot.fakes import FakeClock, contact_json, make_client


def _max_in_any_window(starts: list[float], window: float) -> int:
    """The most request starts found in any half-open window [t, t + window)."""
    ordered = sorted(starts)
    best, left = 0, 0
    for right, start in enumerate(ordered):
        while ordered[left] <= start - window:
            left += 1
        best = max(best, right - left + 1)
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_window_ever_sees_more_than_max_requests(seed: int) -> None:
    """Over 2,000 requests with random gaps and bursts, no rolling 10 s window exceeds 190."""
    rng = random.Random(seed)
    clock = FakeClock()
    pacer = Pacer(190, 10.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    for _ in range(2000):
        # Mostly back-to-back bursts, sometimes an idle gap, like a nightly run between flows.
        clock.now += rng.uniform(0, 12) if rng.random() < 0.01 else rng.choice([0.0, 0.001, 0.02])
        pacer.acquire()
        starts.append(clock.now)
    assert _max_in_any_window(starts, 10.0) <= 190
    # The limiter is not over-cautious: bursts do fill the window.
    assert _max_in_any_window(starts, 10.0) == 190


def test_waits_only_until_the_oldest_request_leaves_the_window() -> None:
    """The 4th request in a 3-per-second pacer waits exactly until the 1st is a second old."""
    clock = FakeClock(now=0.0)
    pacer = Pacer(3, 1.0, clock=clock, sleep=clock.sleep)
    for at in (0.0, 0.2, 0.4):
        clock.now = at
        assert pacer.acquire() == 0.0
    clock.now = 0.5
    assert pacer.acquire() == pytest.approx(0.5)
    assert clock.now == pytest.approx(1.0)


def test_the_client_paces_every_request_and_search_more_tightly() -> None:
    """Through the client, 10 searches at 4/s take at least 2 s of (simulated) waiting."""
    clock = FakeClock()
    client, recorder, _ = make_client(
        lambda request: httpx.Response(200, json={"results": [contact_json("1")]}), clock
    )
    for _ in range(10):
        client.search([], ["email"])
    assert len(recorder.requests) == 10
    assert sum(clock.sleeps) >= 2.0


def test_refuses_a_limit_that_cannot_be_met() -> None:
    """A zero budget is a configuration error, not an endless wait."""
    with pytest.raises(ValueError):
        Pacer(0, 10.0)
