"""HubSpot rate limits: rolling 10 s window and daily cap per app, 5 req/s for search.

Only requests that were actually served count (a 429 costs nothing), so the
counters prove whether a client ever went over the limit.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from sandbox.hubspot.config import HubSpotSandboxConfig

TEN_SECONDLY = "TEN_SECONDLY_ROLLING"
SECONDLY = "SECONDLY"
DAILY = "DAILY"
_DAY_SECONDS = 86_400.0


class RateLimiter:
    """Admits or refuses requests and keeps the counters shown in `/_sandbox/state`."""

    def __init__(self, config: HubSpotSandboxConfig) -> None:
        self._config = config
        self._window_seconds = config.interval_milliseconds / 1000
        self.reset()

    def reset(self) -> None:
        """Forget every request (sandbox reset)."""
        self._start = self._config.clock()
        self._window: deque[float] = deque()
        self._search_window: deque[float] = deque()
        self._day = 0
        self._daily_used = 0
        self._served = 0
        self._per_endpoint: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()
        self._max_in_window = 0
        self._max_search_in_second = 0

    def admit(self, endpoint: str, *, search: bool) -> str | None:
        """Count a request to `endpoint`; return the violated policy name instead if over a limit."""
        now = self._config.clock()
        self._roll_day(now)
        _drop_older(self._window, now - self._window_seconds)
        _drop_older(self._search_window, now - 1.0)
        policy = self._violated(search)
        if policy is not None:
            self._rejected[policy] += 1
            return policy
        self._served += 1
        self._daily_used += 1
        self._per_endpoint[endpoint] += 1
        if search:
            self._search_window.append(now)
            self._max_search_in_second = max(self._max_search_in_second, len(self._search_window))
        else:
            self._window.append(now)
            self._max_in_window = max(self._max_in_window, len(self._window))
        return None

    def headers(self) -> dict[str, str]:
        """The `X-HubSpot-RateLimit-*` headers for the request just admitted or refused."""
        config = self._config
        return {
            "X-HubSpot-RateLimit-Daily": str(config.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(config.daily_limit - self._daily_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(config.interval_milliseconds),
            "X-HubSpot-RateLimit-Max": str(config.ten_second_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(config.ten_second_limit - len(self._window), 0)),
        }

    def counters(self) -> dict[str, Any]:
        """Totals for benchmarks: served, per endpoint, 429s by policy, busiest windows."""
        return {
            "served": self._served,
            "per_endpoint": dict(self._per_endpoint),
            "rate_limited": dict(self._rejected),
            "rate_limited_total": sum(self._rejected.values()),
            "max_in_ten_seconds": self._max_in_window,
            "max_search_in_one_second": self._max_search_in_second,
            "daily_used": self._daily_used,
            "ten_second_limit": self._config.ten_second_limit,
            "search_per_second": self._config.search_per_second,
        }

    def _violated(self, search: bool) -> str | None:
        if self._daily_used >= self._config.daily_limit:
            return DAILY
        if search:
            full = len(self._search_window) >= self._config.search_per_second
            return SECONDLY if full else None
        return TEN_SECONDLY if len(self._window) >= self._config.ten_second_limit else None

    def _roll_day(self, now: float) -> None:
        day = int((now - self._start) // _DAY_SECONDS)
        if day != self._day:
            self._day, self._daily_used = day, 0


def _drop_older(window: deque[float], horizon: float) -> None:
    """Drop timestamps at or before `horizon` (they left the rolling window)."""
    while window and window[0] <= horizon:
        window.popleft()
