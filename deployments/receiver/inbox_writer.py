"""Group commit for the receiver: concurrent deliveries share one inbox transaction.

Each request hands its delivery to the writer and waits. One writer task at a time takes everything that
queued up while the previous transaction ran, stores it with `Inbox.add_many` (one commit) on a worker
thread, and only then answers every waiting request. Under load a commit and a thread hop serve a whole
group instead of one delivery; with a single request in flight the group is that request, so nothing ever
waits on a timer. A 200 is still sent only once the delivery's own transaction has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from tasks.store.inbox import Delivery, Inbox

# Bounds one transaction (and the SQLite write lock it holds) when a large backlog queued at once.
MAX_GROUP_SIZE = 256


class InboxWriter:
    """Stores deliveries through one writer task, committing whatever queued up together.

    Args:
        inbox: Where the deliveries go.
        max_group_size: Most deliveries in one transaction.
    """

    def __init__(self, inbox: Inbox, max_group_size: int = MAX_GROUP_SIZE) -> None:
        if max_group_size < 1:
            raise ValueError(f"max_group_size must be at least 1, got {max_group_size}")
        self._inbox = inbox
        self._max_group_size = max_group_size
        self._queue: list[tuple[Delivery, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, delivery: Delivery) -> bool:
        """Store a delivery (in a group with whatever else is waiting) unless its webhook id is there.

        Returns:
            True when it was new; False for a duplicate, including one queued in the same group.

        Raises:
            Exception: Whatever the group's transaction raised (e.g. `SQLAlchemyError`); then nothing of
                the group was stored.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="inbox-writer")
        return await future

    async def _write_groups(self) -> None:
        # The loop condition is checked right after the futures are resolved, with no await in between, so
        # the task has finished before any waiting request runs again (a TestClient loop may close then).
        while self._queue:
            group = self._queue[: self._max_group_size]
            del self._queue[: self._max_group_size]
            deliveries = [delivery for delivery, _ in group]
            try:
                added = await run_in_threadpool(self._inbox.add_many, deliveries)
            except asyncio.CancelledError:
                # The loop is shutting down: nobody can be answered, so let no request wait forever.
                for _, future in [*group, *self._queue]:
                    future.cancel()
                self._queue.clear()
                raise
            except Exception as error:
                _settle(group, error=error)
            else:
                _settle(group, added=added)


def _settle(
    group: Sequence[tuple[Delivery, asyncio.Future[bool]]],
    *,
    added: Sequence[bool] = (),
    error: Exception | None = None,
) -> None:
    """Answer every request of a group: its own outcome, or the group's error."""
    for index, (_, future) in enumerate(group):
        if future.done():
            continue  # The request was cancelled while it waited; its outcome has no one to go to.
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(added[index])
