"""Waiting for a fuller batch: until enough deliveries are pending, never past the wait, never for nothing."""

from __future__ import annotations

from tasks.sync.batch_wait import wait_for_batch


class FakeTime:
    """A clock that only moves when slept on, with the pending count growing as it does."""

    def __init__(self, arrivals_per_second: float, pending: int = 0) -> None:
        self.now = 0.0
        self.rate = arrivals_per_second
        self.start = pending
        self.sleeps: list[float] = []

    def pending(self) -> int:
        return self.start + int(self.now * self.rate)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _wait(time: FakeTime, want: int, seconds: float) -> int:
    return wait_for_batch(time.pending, want, seconds, clock=lambda: time.now, sleep=time.sleep)


def test_it_stops_waiting_as_soon_as_the_batch_is_full() -> None:
    """At 50 deliveries/s, 100 are pending after 2 s of an 8 s wait: the claim goes then."""
    time = FakeTime(arrivals_per_second=50, pending=1)

    assert _wait(time, want=100, seconds=8) >= 100
    assert 1.9 <= time.now <= 2.3


def test_it_never_waits_longer_than_the_wait() -> None:
    """A trickle never fills the batch: the claim goes with what is there when the wait is over."""
    time = FakeTime(arrivals_per_second=1, pending=3)

    assert _wait(time, want=500, seconds=8) == 11
    assert time.now == 8


def test_an_empty_inbox_or_a_full_batch_does_not_wait_at_all() -> None:
    """Nothing pending ends the run at once; a batch already full is claimed at once."""
    for pending in (0, 500, 900):
        time = FakeTime(arrivals_per_second=50, pending=pending)
        assert _wait(time, want=500, seconds=8) == pending
        assert time.sleeps == []
