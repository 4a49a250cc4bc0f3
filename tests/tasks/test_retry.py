"""The one retry layer: what it retries, how long it waits, and when it gives up."""

from __future__ import annotations

import httpx
import pytest

from tasks.errors import RateLimitExhausted
from tasks.retry import RetryableError, retry_policy


def _flaky(failures: list[Exception]):
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    return call, calls


def test_waits_exactly_what_the_error_asked_for() -> None:
    """A RetryableError carrying wait_seconds is retried after that wait."""
    waits: list[float] = []
    call, calls = _flaky([RetryableError("429", wait_seconds=10.0), RetryableError("423", wait_seconds=2.0)])
    assert retry_policy(sleep=waits.append)(call) == "ok"
    assert waits == [10.0, 2.0]
    assert len(calls) == 3


def test_transport_errors_back_off_exponentially_within_max_wait() -> None:
    """Timeouts are retried with jittered waits that never exceed max_wait."""
    waits: list[float] = []
    call, calls = _flaky([httpx.ReadTimeout("slow")] * 4)
    assert retry_policy(max_wait=3.0, sleep=waits.append)(call) == "ok"
    assert len(waits) == 4
    assert all(0.0 <= wait <= 3.0 for wait in waits)


def test_a_hinted_wait_is_capped_at_max_wait() -> None:
    """A Retry-After of an hour does not park the worker for an hour."""
    waits: list[float] = []
    call, _ = _flaky([RetryableError("477", wait_seconds=3600.0)])
    retry_policy(max_wait=60.0, sleep=waits.append)(call)
    assert waits == [60.0]


def test_reraises_the_last_error_after_the_last_attempt() -> None:
    """After `attempts` tries the original error surfaces, not a tenacity wrapper."""
    waits: list[float] = []
    call, calls = _flaky([RetryableError(f"503 #{n}", wait_seconds=0.0) for n in range(5)])
    with pytest.raises(RetryableError, match="503 #2"):
        retry_policy(attempts=3, sleep=waits.append)(call)
    assert len(calls) == 3


def test_other_errors_are_not_retried() -> None:
    """A daily-limit error (or any non-retryable error) fails on the first attempt."""
    waits: list[float] = []
    call, calls = _flaky([RateLimitExhausted("daily")])
    with pytest.raises(RateLimitExhausted):
        retry_policy(sleep=waits.append)(call)
    assert len(calls) == 1
    assert waits == []
