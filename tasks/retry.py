"""The project's one retry layer: a tenacity policy every API client runs its requests through.

Clients translate "try again later" answers (HubSpot 429/423/5xx, Shopify THROTTLED, ...) into
`RetryableError`, carrying the wait the API asked for when it said one. Everything else propagates at once.
Prefect task retries never cover the same failures, because attempts would multiply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx
import tenacity

from tasks.errors import RateLimitExhausted

__all__ = ["RateLimitExhausted", "RetryableError", "retry_policy"]

_logger = logging.getLogger(__name__)

# The first exponential wait is about this long; later ones double up to `max_wait`.
_BACKOFF_MULTIPLIER = 0.5


class RetryableError(Exception):
    """A request failed in a way that is expected to succeed later (rate limit, lock, transient 5xx)."""

    def __init__(self, message: str, wait_seconds: float | None = None) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


class _WaitAsToldOrBackOff(tenacity.wait.wait_base):
    """Wait what the API asked for; without such a hint, back off exponentially with full jitter."""

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait
        self._backoff = tenacity.wait_random_exponential(multiplier=_BACKOFF_MULTIPLIER, max=max_wait)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RetryableError) and error.wait_seconds is not None:
            # Capped too: a Retry-After of hours should end this run's attempts, not park a worker for hours.
            return max(0.0, min(error.wait_seconds, self._max_wait))
        return float(self._backoff(retry_state))


def _log_before_sleep(retry_state: tenacity.RetryCallState) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    _logger.warning("Attempt %d failed (%s); retrying in %.1f s", retry_state.attempt_number, error, wait)


def retry_policy(
    attempts: int = 6,
    max_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """Build the retry policy for one client.

    Args:
        attempts: Total tries, the first one included.
        max_wait: Upper bound in seconds for any single wait.
        sleep: How to wait; tests inject a recorder so nothing really sleeps.

    Returns:
        A `tenacity.Retrying` that retries `RetryableError` and `httpx.TransportError` (timeouts, dropped
        connections) and re-raises the last error once attempts run out.
    """
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((RetryableError, httpx.TransportError)),
        wait=_WaitAsToldOrBackOff(max_wait),
        stop=tenacity.stop_after_attempt(attempts),
        sleep=sleep,
        before_sleep=_log_before_sleep,
        reraise=True,
    )
