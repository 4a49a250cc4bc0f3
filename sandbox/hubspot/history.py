"""Property history: every value each contact property was set to, when and by what, as HubSpot keeps it.

HubSpot returns it on reads that ask for `propertiesWithHistory` (newest first, one entry per write of the
property, with `sourceType` such as `INTEGRATION` for an app, `CRM_UI` for a person, `IMPORT`). Workflows
enrol on property changes, so tests and the demo read it to count how often a workflow would have fired.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.hubspot.values import iso_millis

API, UI, IMPORT = "INTEGRATION", "CRM_UI", "IMPORT"
_SOURCE_IDS = {API: "sandbox-private-app", UI: "userId:1", IMPORT: "sandbox-seed"}


@dataclass(frozen=True)
class HistoryEntry:
    """One write of one property."""

    value: str
    timestamp: datetime
    source_type: str

    def to_json(self) -> dict[str, Any]:
        """The entry as `propertiesWithHistory` lists it."""
        return {
            "value": self.value,
            "timestamp": iso_millis(self.timestamp),
            "sourceType": self.source_type,
            "sourceId": _SOURCE_IDS.get(self.source_type, self.source_type),
        }


class PropertyHistory:
    """Entries per contact id and property name, oldest first."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, list[HistoryEntry]]] = {}

    def record(
        self, contact_id: str, values: Mapping[str, str | None], at: datetime, source_type: str = API
    ) -> None:
        """Remember one write: every property in `values` (None or "" is a clear, listed as "")."""
        properties = self._entries.setdefault(contact_id, {})
        for name, value in values.items():
            properties.setdefault(name, []).append(HistoryEntry(value or "", at, source_type))

    def merge(self, into: str, merged: Iterable[str]) -> None:
        """The history of a merged record: every write of the records it absorbed, in time order."""
        combined: dict[str, list[HistoryEntry]] = {}
        for old in merged:
            for name, entries in self._entries.get(old, {}).items():
                combined.setdefault(name, []).extend(entries)
        self._entries[into] = {
            name: sorted(entries, key=lambda entry: entry.timestamp) for name, entries in combined.items()
        }

    def of(self, contact_id: str, names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """`propertiesWithHistory` for these properties of a contact: newest first; [] if never written."""
        properties = self._entries.get(contact_id, {})
        return {name: [entry.to_json() for entry in reversed(properties.get(name, []))] for name in names}
