"""The contact record shared by the store and the search index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Contact:
    """One contact record; `properties` holds only values that are set."""

    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    merged_ids: list[str] = field(default_factory=list)


def emails_of(contact: Contact) -> set[str]:
    """Primary and additional emails, lowercased: all collide on create."""
    primary = (contact.properties.get("email") or "").lower()
    additional = (contact.properties.get("hs_additional_emails") or "").lower().split(";")
    return {e.strip() for e in [primary, *additional] if e.strip()}
