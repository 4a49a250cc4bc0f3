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
