"""Client-side pacing so this process stays under HubSpot's rolling request limits instead of hitting 429s."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """A rolling-window limiter: no window of `per_seconds` ever sees more than `max_requests` from us.

    HubSpot counts requests in a rolling window (`TEN_SECONDLY_ROLLING`), so a fixed-bucket limiter could
    still burst 2x across a bucket edge. Keeping the start times of the last `max_requests` requests and
    waiting until the oldest leaves the window gives the guarantee exactly. Thread-safe: `task.map` workers
    share one pacer per client.
    """

    def __init__(
        self,
        max_requests: int = 190,
        per_seconds: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or per_seconds <= 0:
            raise ValueError("a pacer needs max_requests >= 1 and per_seconds > 0")
        self.max_requests = max_requests
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until one more request fits in the window, record it, and return how long we waited."""
        waited = 0.0
        # Holding the lock while sleeping is deliberate: every other caller would have to wait anyway.
        with self._lock:
            now = self._clock()
            while True:
                self._forget_before(now - self.per_seconds)
                if len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return waited
                wait = self._starts[0] + self.per_seconds - now
                self._sleep(wait)
                waited += wait
                now = self._clock()

    def _forget_before(self, horizon: float) -> None:
        # A start at exactly `horizon` is a full window ago and no longer counts.
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()
