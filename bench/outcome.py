"""One comparable shape for a reconciliation result.

The Polars and the per-row Python answers are both turned into an `Outcome`, so they can be checked for
equality in one process and fingerprinted across processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tasks.contacts.diff import ContactDiff

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Outcome:
    """A `ContactDiff` as plain rows, in the order `tasks.contacts.diff` documents.

    Orphans are ordered by numeric contact id.

    Attributes:
        creates: (customer_id, email, total_spent, order_count, first/last order date, last number, currency).
        adoptions: (contact_id, matched_on, customer_id, then the create columns after email).
        updates: (contact_id, customer_id, property, old, new), wire strings.
        updates_wide: (contact_id, customer_id, one wire string or None per compared property).
        orphans: (contact_id, customer_id, HubSpot's total_spent, HubSpot's order_count).
        duplicates: (customer_id, contact_id, kept_contact_id).
        unchanged: Id-matched contacts already right.
        matched: Id-matched contacts.
    """

    creates: list[Row]
    adoptions: list[Row]
    updates: list[Row]
    updates_wide: list[Row]
    orphans: list[Row]
    duplicates: list[Row]
    unchanged: int
    matched: int

    def digest(self) -> str:
        """A fingerprint of every value (Decimal and date reprs included), to compare across processes."""
        return hashlib.sha256(repr(self).encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        """How many rows of each kind: what the data set exercised."""
        return {
            "creates": len(self.creates),
            "adoptions": len(self.adoptions),
            "changed_properties": len(self.updates),
            "contacts_to_update": len(self.updates_wide),
            "orphans": len(self.orphans),
            "duplicates": len(self.duplicates),
            "unchanged": self.unchanged,
            "matched": self.matched,
        }


def numeric_order(contact_id: str) -> tuple[int, str]:
    """HubSpot's numeric string ids in numeric order, as `tasks.contacts.matching.numeric_id_order` sorts."""
    return len(contact_id), contact_id


def outcome_of(diff: ContactDiff) -> Outcome:
    """The Polars result as an Outcome."""
    return Outcome(
        creates=diff.creates.rows(),
        adoptions=diff.adoptions.rows(),
        updates=diff.updates.rows(),
        updates_wide=diff.updates_wide.rows(),
        # tasks.contacts.diff leaves the orphans in join order, which Polars does not promise.
        orphans=sorted(diff.orphans.rows(), key=lambda row: numeric_order(row[0])),
        duplicates=diff.duplicates.rows(),
        unchanged=diff.unchanged,
        matched=diff.matched,
    )
