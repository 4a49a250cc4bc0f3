"""How long a sync run waits before claiming: a fuller batch spends fewer HubSpot requests per delivery."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for_batch(
    pending: Callable[[], int],
    want: int,
    wait_seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll_seconds: float = 0.25,
) -> int:
    """Wait until `want` deliveries are pending or `wait_seconds` have passed; returns the last count seen.

    During a burst a batch is whatever arrived since the previous one, and each batch costs its own contact
    reads and writes whether it touches 5 customers or 100: waiting a few seconds for a fuller batch spends
    fewer HubSpot requests per delivery. An empty inbox returns at once (the run is done).
    """
    deadline = clock() + wait_seconds
    count = pending()
    while 0 < count < want and clock() < deadline:
        sleep(min(poll_seconds, max(0.0, deadline - clock())))
        count = pending()
    return count
