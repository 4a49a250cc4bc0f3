"""In-memory HubSpot portal: contacts, merges and the property schema.

Writes come in two steps (`prepare_*` checks without changing anything,
`apply_*` writes) so that batches can be all-or-nothing.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sandbox.hubspot.errors import (
    HubSpotError,
    PropertyIssue,
    PropertyValuesInvalid,
    contact_conflict,
    object_not_found,
    validation_error,
)
from sandbox.hubspot.history import API, IMPORT, UI, PropertyHistory
from sandbox.hubspot.index import ALWAYS_INDEXED, SearchIndex
from sandbox.hubspot.owners import ValueOwners, claims_of
from sandbox.hubspot.records import Contact, emails_of
from sandbox.hubspot.schema import PropertySchema
from sandbox.hubspot.shopsync_schema import define_shopsync_properties
from sandbox.hubspot.values import iso_millis, parse_instant

__all__ = ["Contact", "HubSpotStore"]

# Real contact ids are numeric strings beyond 32 bits (api-facts B2).
FIRST_CONTACT_ID = 51_000_000_001
Values = dict[str, str | None]


class SeedContactLike(Protocol):
    """What `from_seed` needs of `sandbox.seed.SeedContact`."""

    @property
    def properties(self) -> Mapping[str, str]: ...
    @property
    def merged_into(self) -> int | None: ...


class SeedLike(Protocol):
    """What `from_seed` needs of `sandbox.seed.SeedData`."""

    @property
    def hubspot_contacts(self) -> Sequence[SeedContactLike]: ...


class HubSpotStore:
    """Contacts of one portal, validated like the API.

    Args:
        clock: monotonic seconds; drives record timestamps and search index lag.
        epoch: wall time that `clock()` maps to at construction (default: now).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, epoch: datetime | None = None) -> None:
        self.clock = clock
        self._clock_start = clock()
        self._epoch = epoch or datetime.now(UTC)
        self.schema = PropertySchema(self._epoch)
        self.index = SearchIndex(clock)
        self.history = PropertyHistory()
        self._contacts: dict[str, Contact] = {}
        # Live contacts by id, rebuilt after any write: a full listing asks for them once per page.
        self._live: list[Contact] | None = None
        self._redirects: dict[str, str] = {}
        self._owners = ValueOwners()
        self._next_id = FIRST_CONTACT_ID

    @classmethod
    def from_seed(cls, seed: SeedLike, clock: Callable[[], float] = time.monotonic) -> HubSpotStore:
        """A store holding the seed's pre-existing contacts (indexed long ago), then its merges.

        Contacts that carry shopsync's properties (a portal shopsync already synced) get the shopsync property
        group and definitions created first.
        """
        store = cls(clock)
        define_shopsync_properties(store.schema, store.now(), [c.properties for c in seed.hubspot_contacts])
        ids = [
            store.create_contact(dict(c.properties), api_write=False, indexed_at=ALWAYS_INDEXED).id
            for c in seed.hubspot_contacts
        ]
        for index, seeded in enumerate(seed.hubspot_contacts):
            if seeded.merged_into is not None:
                survivor, absorbed = store.get(ids[seeded.merged_into]), store.get(ids[index])
                if survivor is not None and absorbed is not None and survivor.id != absorbed.id:
                    store.merge(survivor.id, absorbed.id, indexed_at=ALWAYS_INDEXED)
        return store

    def now(self) -> datetime:
        """Wall time according to the injected clock."""
        return self._epoch + timedelta(seconds=self.clock() - self._clock_start)

    def get(self, contact_id: str) -> Contact | None:
        """A live contact by record id, following merges; None if unknown or archived."""
        seen = 0
        while contact_id in self._redirects and seen < 100:
            contact_id, seen = self._redirects[contact_id], seen + 1
        contact = self._contacts.get(contact_id)
        return None if contact is None or contact.archived else contact

    def contacts(self) -> list[Contact]:
        """Live contacts (not archived, not merged away), by ascending id."""
        if self._live is None:
            self._live = [c for c in self._all_sorted() if not c.archived]
        return list(self._live)

    def archived_contacts(self) -> list[Contact]:
        """Archived contacts, by ascending id."""
        return [c for c in self._all_sorted() if c.archived]

    def redirects(self) -> dict[str, str]:
        """Merged-away id -> the id it merged into (possibly itself merged later)."""
        return dict(self._redirects)

    def find_by(self, id_property: str, value: str) -> Contact | None:
        """The live contact whose `id_property` equals `value` (email: case-insensitive)."""
        if id_property == "email":
            holder = self._owners.owner(("email", value.strip().lower()))
        else:
            holder = self._owners.owner((f"unique:{id_property}", value))
        return None if holder is None else self._contacts.get(holder)

    def validate(self, properties: Mapping[str, object], *, api_write: bool = True) -> Values:
        """Normalised values for a write; raises PropertyValuesInvalid naming every bad one."""
        normalised: Values = {}
        issues: list[PropertyIssue] = []
        for name, raw in properties.items():
            try:
                normalised[name] = self.schema.check_value(name, raw, api_write=api_write)
            except PropertyIssue as issue:
                issues.append(issue)
        if issues:
            raise PropertyValuesInvalid.of(issues)
        return normalised

    def find_conflict(self, values: Mapping[str, str | None], exclude: str | None = None) -> str | None:
        """Id of another live contact already holding one of these emails or unique values."""
        return self._owners.conflict(claims_of(values, self.schema.unique_names()), exclude)

    def prepare_create(self, properties: Mapping[str, object], *, api_write: bool = True) -> Values:
        """Checked values for a new contact; raises 400 (bad values) or 409 (taken)."""
        checked = self.validate(properties, api_write=api_write)
        values: Values = {k: v for k, v in checked.items() if v}
        existing = self.find_conflict(values)
        if existing is not None:
            raise contact_conflict(existing)
        return values

    def apply_create(
        self, values: Values, indexed_at: float | None = None, source_type: str = API
    ) -> Contact:
        """Create a contact from `prepare_create` values (recorded in its property history)."""
        now, contact_id = self.now(), self._new_id()
        self.history.record(contact_id, values, now, source_type)
        created = parse_instant(values.get("createdate") or "") or now
        modified = parse_instant(values.get("lastmodifieddate") or "") or now
        values = {**values, "hs_object_id": contact_id, "createdate": iso_millis(created)}
        values["lastmodifieddate"] = iso_millis(modified)
        contact = Contact(contact_id, values, created, modified)
        self._contacts[contact_id] = contact
        self._touch(contact, indexed_at, bump=False)
        return contact

    def create_contact(
        self, properties: Mapping[str, object], *, api_write: bool = True, indexed_at: float | None = None
    ) -> Contact:
        """Create a contact; raises PropertyValuesInvalid (400) or the 409 conflict."""
        values = self.prepare_create(properties, api_write=api_write)
        return self.apply_create(values, indexed_at, API if api_write else IMPORT)

    def prepare_update(
        self,
        contact_id: str,
        properties: Mapping[str, object],
        *,
        api_write: bool = True,
        unique_only_at_create: bool = False,
    ) -> tuple[Contact, Values]:
        """The contact and checked values for an update; raises 404, 400 or 409."""
        contact = self.get(contact_id)
        if contact is None:
            raise object_not_found(contact_id)
        values = self.validate(properties, api_write=api_write)
        if api_write:
            self._check_unique_rules(contact, values, unique_only_at_create)
        existing = self.find_conflict(values, exclude=contact.id)
        if existing is not None:
            raise contact_conflict(existing)
        return contact, values

    def apply_update(self, contact: Contact, values: Values, source_type: str = API) -> Contact:
        """Write `prepare_update` values; `None` clears. Bumps `lastmodifieddate` and records the history."""
        self.history.record(contact.id, values, self.now(), source_type)
        for name, value in values.items():
            if value is None:
                contact.properties.pop(name, None)
            else:
                contact.properties[name] = value
        self._touch(contact)
        return contact

    def update_contact(
        self,
        contact_id: str,
        properties: Mapping[str, object],
        *,
        api_write: bool = True,
        unique_only_at_create: bool = False,
    ) -> Contact:
        """Update a live contact; `""` clears; unique values are write-once (see config)."""
        contact, values = self.prepare_update(
            contact_id, properties, api_write=api_write, unique_only_at_create=unique_only_at_create
        )
        return self.apply_update(contact, values, API if api_write else UI)

    def archive(self, contact_id: str) -> None:
        """Archive (soft-delete) a live contact; raises 404 when unknown."""
        contact = self.get(contact_id)
        if contact is None:
            raise object_not_found(contact_id)
        contact.archived = True
        self._owners.drop(contact.id)
        self._touch(contact)

    def merge(self, primary_id: str, merged_id: str, *, indexed_at: float | None = None) -> Contact:
        """Merge two contacts into a record with a new id; old ids resolve to it.

        The primary's values win; the absorbed email becomes an additional email.
        """
        primary, absorbed = self.get(primary_id), self.get(merged_id)
        if primary is None or absorbed is None:
            raise object_not_found(primary_id if primary is None else merged_id)
        if primary.id == absorbed.id:
            raise validation_error("Cannot merge a contact with itself")
        values = {**absorbed.properties, **primary.properties}
        extra = (emails_of(primary) | emails_of(absorbed)) - {(values.get("email") or "").lower()}
        merged_ids = [*primary.merged_ids, primary.id, *absorbed.merged_ids, absorbed.id]
        created = min(primary.created_at, absorbed.created_at)
        contact = Contact(self._new_id(), values, created, self.now(), merged_ids=merged_ids)
        values.update(hs_object_id=contact.id, createdate=iso_millis(created))
        values["hs_merged_object_ids"] = ";".join(merged_ids)
        if extra:
            values["hs_additional_emails"] = ";".join(sorted(extra))
        for old in (primary, absorbed):
            del self._contacts[old.id]
            self._owners.drop(old.id)
            self._redirects[old.id] = contact.id
            self.index.remove(old.id, indexed_at)
        self._contacts[contact.id] = contact
        self.history.merge(contact.id, [primary.id, absorbed.id])
        self._touch(contact, indexed_at)
        return contact

    def search_view(self, lag_seconds: float) -> list[Contact]:
        """What search sees: each record as of `lag_seconds` ago, by ascending id."""
        return self.index.view(lag_seconds)

    def checkpoint(self) -> dict[str, Any]:
        """A deep copy of all state, for `restore` (sandbox reset)."""
        # The clock is shared with the app and the tests: never copy it.
        memo: dict[int, Any] = {id(self.clock): self.clock}
        return copy.deepcopy({k: v for k, v in vars(self).items() if k != "clock"}, memo)

    def restore(self, state: dict[str, Any]) -> None:
        """Return to a `checkpoint`."""
        vars(self).update(copy.deepcopy(state, {id(self.clock): self.clock}))

    def _check_unique_rules(self, contact: Contact, values: Values, only_at_create: bool) -> None:
        for name in self.schema.unique_names():
            current = contact.properties.get(name)
            if name not in values or values[name] == current:
                continue
            if current is not None or only_at_create:
                message = f"Property {name} has unique values and cannot be changed once set"
                raise HubSpotError(400, "VALIDATION_ERROR", message, context={"propertyName": [name]})

    def _touch(self, contact: Contact, indexed_at: float | None = None, bump: bool = True) -> None:
        """Bump `lastmodifieddate` (unless a new record), then refresh owners and search."""
        self._live = None
        if bump:
            contact.updated_at = self.now()
            contact.properties["lastmodifieddate"] = iso_millis(contact.updated_at)
        if not contact.archived:
            self._owners.hold(contact.id, claims_of(contact.properties, self.schema.unique_names()))
        self.index.record(contact, indexed_at)

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id - 1)

    def _all_sorted(self) -> list[Contact]:
        # Ids only grow and records are inserted once, so insertion order is id order.
        return list(self._contacts.values())
