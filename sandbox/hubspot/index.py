"""The search index: each record's versions by write time, seen only after a lag.

HubSpot search is eventually consistent (api-facts B2): a record written less
than the lag ago is missing from search, or shows its previous values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from sandbox.hubspot.records import Contact

# Pre-existing (seeded) records were indexed long ago.
ALWAYS_INDEXED = float("-inf")


class SearchIndex:
    """Versions of every record, keyed by record id."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._versions: dict[str, list[tuple[float, Contact | None]]] = {}

    def record(self, snapshot: Contact, indexed_at: float | None = None) -> None:
        """Remember a new version of a record, written now (or at `indexed_at`)."""
        version = copy.deepcopy(snapshot)
        self._versions.setdefault(snapshot.id, []).append((self._at(indexed_at), version))

    def remove(self, record_id: str, indexed_at: float | None = None) -> None:
        """The record is gone (merged away) from now on."""
        self._versions.setdefault(record_id, []).append((self._at(indexed_at), None))

    def view(self, lag_seconds: float) -> list[Contact]:
        """Each record as of `lag_seconds` ago (live, not archived), by ascending id."""
        horizon = self.clock() - lag_seconds
        visible: list[Contact] = []
        for history in self._versions.values():
            settled = [i for i, (written, _) in enumerate(history) if written <= horizon]
            if not settled:
                continue
            # Versions older than the settled one can never be seen again.
            del history[: settled[-1]]
            snapshot = history[0][1]
            if snapshot is not None and not snapshot.archived:
                visible.append(snapshot)
        return sorted(visible, key=lambda c: int(c.id))

    def _at(self, indexed_at: float | None) -> float:
        return self.clock() if indexed_at is None else indexed_at
