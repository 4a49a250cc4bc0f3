"""Proactive pacing against Shopify's cost bucket, from the `throttleStatus` each response reports.

This is the fine-grained layer: it sleeps just long enough before a query that the bucket can pay for it, so
THROTTLED replies (and the coarser retry layer behind them) stay the exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tasks.shopify.graphql_models import QueryCost, ThrottleStatus

# Aim one point above the need: the bucket refills continuously while replies report rounded points, and a
# query paced to land exactly on its cost can be throttled by a rounding hair.
_HEADROOM_POINTS = 1.0


def throttled_wait(cost: QueryCost | None) -> float | None:
    """Seconds until the bucket can pay for the throttled query: (requested - available) / restore rate.

    None when the reply carried no usable cost, so the retry layer falls back to its own backoff.
    """
    if cost is None or cost.throttle_status is None or cost.requested_query_cost is None:
        return None
    status = cost.throttle_status
    if status.restore_rate <= 0:
        return None
    return max(0.0, (cost.requested_query_cost - status.currently_available) / status.restore_rate)


class CostPacer:
    """Remembers the last bucket state and each document's requested cost; sleeps off a deficit up front."""

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self._status: ThrottleStatus | None = None
        self._observed_at = 0.0
        self._requested_cost: dict[str, float] = {}

    def observe(self, document: str, cost: QueryCost | None) -> None:
        """Record the cost report of a response to `document`."""
        if cost is None:
            return
        if cost.requested_query_cost is not None:
            self._requested_cost[document] = cost.requested_query_cost
        if cost.throttle_status is not None:
            self._status = cost.throttle_status
            self._observed_at = self._clock()

    def wait_before(self, document: str) -> float:
        """Sleep until the bucket should hold what `document` requested last time; return seconds slept."""
        deficit = self._deficit(document)
        if deficit <= 0 or self._status is None:
            return 0.0
        seconds = deficit / self._status.restore_rate
        self._sleep(seconds)
        return seconds

    def _deficit(self, document: str) -> float:
        status = self._status
        needed = self._requested_cost.get(document)
        if status is None or needed is None or status.restore_rate <= 0:
            return 0.0
        if needed + _HEADROOM_POINTS > status.maximum_available:
            # The bucket can never hold it; waiting would not help, so let Shopify answer.
            return 0.0
        restored = (self._clock() - self._observed_at) * status.restore_rate
        available = min(status.maximum_available, status.currently_available + restored)
        return needed + _HEADROOM_POINTS - available
