"""How often a HubSpot workflow would have fired, read from a contact's property history.

A contact-based workflow whose enrolment trigger is "<trigger property> is known", with re-enrolment on the
same filter, enrols the contact each time the property gains a value or changes from one value to another
(HubSpot's re-enrolment rules); clearing it enrols nobody. Its filter on a second property (the source)
sees the value that property had at that moment, i.e. the one written in the same request. Seeded values
(`IMPORT`) are the portal's starting point, not enrolments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.hubspot.history import IMPORT

HistoryJson = Mapping[str, Sequence[Mapping[str, Any]]]
_CONTACTS = "/crm/v3/objects/contacts"


@dataclass(frozen=True)
class Enrolment:
    """One time the workflow would have enrolled the contact."""

    value: str
    source: str | None
    timestamp: str


def enrolments(history: HistoryJson, trigger: str, source: str) -> list[Enrolment]:
    """Every enrolment, oldest first, from a contact's `propertiesWithHistory` (which lists newest first).

    Args:
        history: The contact's `propertiesWithHistory`, holding at least `trigger` and `source`.
        trigger: The property the workflow enrols on.
        source: The property the workflow filters on, e.g. the write source.

    Returns:
        One entry per change of `trigger` to a new, non-empty value, with `source` as it was then.
    """
    sources = list(reversed(history.get(source, [])))
    found: list[Enrolment] = []
    previous = ""
    for entry in reversed(history.get(trigger, [])):
        value, at = str(entry["value"]), str(entry["timestamp"])
        if value and value != previous and entry["sourceType"] != IMPORT:
            found.append(Enrolment(value, _value_at(sources, at), at))
        previous = value
    return found


def _value_at(entries: Sequence[Mapping[str, Any]], timestamp: str) -> str | None:
    """The value of the last write at or before `timestamp` (ISO 8601 UTC strings sort as instants)."""
    value = None
    for entry in entries:
        if str(entry["timestamp"]) <= timestamp:
            value = str(entry["value"]) or None
    return value


def read_enrolments(http: httpx.Client, trigger: str, source: str, key: str) -> dict[str, list[Enrolment]]:
    """Page through every contact over the API (`propertiesWithHistory`) and list each one's enrolments.

    Args:
        http: A client with the portal's base URL and token.
        trigger: The property the workflow enrols on.
        source: The property the workflow filters on.
        key: The property that names a contact in the answer (e.g. the Shopify customer id); contacts
            without it are keyed by their record id.

    Returns:
        Enrolments per contact, for every contact (an empty list when it never enrolled).
    """
    found: dict[str, list[Enrolment]] = {}
    params = {"limit": "100", "properties": key, "propertiesWithHistory": f"{trigger},{source}"}
    while True:
        page = http.get(_CONTACTS, params=params)
        page.raise_for_status()
        body = page.json()
        for record in body["results"]:
            name = record["properties"].get(key) or record["id"]
            found[str(name)] = enrolments(record.get("propertiesWithHistory", {}), trigger, source)
        after = body.get("paging", {}).get("next", {}).get("after")
        if after is None:
            return found
        params["after"] = str(after)
