"""Write a ContactDiff to HubSpot: the one writer the real-time sync and the nightly run share.

Only changed properties are sent, in batches of at most 100, absolute values only (never increments). One bad
record never fails its batch (the batching layer bisects a 400), and a create that collides with an existing
contact (409 "Existing ID") turns into an update of that contact, which is how search lag and additional
emails are survived.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from tasks.contacts.diff import ContactDiff, wire_properties
from tasks.hubspot.batching import create_contacts, update_contacts
from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import Contact, ContactCreate
from tasks.hubspot.protocol import MAX_BATCH_INPUTS
from tasks.hubspot.values import PropertyValue
from tasks.rules.config import PropertiesConfig, WriteSource

Action = Literal["created", "updated", "adopted", "failed"]
Properties = dict[str, PropertyValue]

OUTCOMES_SCHEMA = pl.Schema(
    {"customer_id": pl.Int64(), "contact_id": pl.String(), "action": pl.String(), "reason": pl.String()}
)


@dataclass(frozen=True)
class ContactOutcome:
    """What happened to one customer's contact."""

    customer_id: int | None
    contact_id: str | None
    action: Action
    reason: str | None = None


@dataclass
class WriteReport:
    """Every write outcome of one run, in the order they happened."""

    outcomes: list[ContactOutcome] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    def failed_customers(self) -> dict[int | None, str]:
        return {o.customer_id: o.reason or "" for o in self.outcomes if o.action == "failed"}

    def frame(self) -> pl.DataFrame:
        rows = [
            {"customer_id": o.customer_id, "contact_id": o.contact_id, "action": o.action, "reason": o.reason}
            for o in self.outcomes
        ]
        return pl.DataFrame(rows, schema=OUTCOMES_SCHEMA)


@dataclass(frozen=True)
class _Update:
    contact_id: str
    customer_id: int | None
    properties: Properties
    action: Action

    def with_properties(self, extra: Properties) -> _Update:
        return _Update(self.contact_id, self.customer_id, {**self.properties, **extra}, self.action)


def apply_diff(
    client: HubSpotClient,
    diff: ContactDiff,
    properties: PropertiesConfig | None = None,
    batch_size: int = MAX_BATCH_INPUTS,
    *,
    source: WriteSource | None = None,
) -> WriteReport:
    """Write every create, adoption and update in `diff`; orphans and duplicates are only reported.

    Args:
        client: The HubSpot client (paced and retried inside).
        diff: What to write, from `diff_contacts`.
        properties: HubSpot property names; the defaults when None.
        batch_size: Inputs per batch request, at most 100.
        source: Which path writes; it goes into `properties.write_source` in the same request as every
            change, so a HubSpot workflow can tell a new order from a correction. None writes no label.

    Returns:
        One outcome per customer touched.
    """
    properties = properties or PropertiesConfig()
    stamp: Properties = {properties.write_source: source} if source else {}
    report = WriteReport()
    updates = [*_adoption_updates(diff, properties), *_drift_updates(diff)]
    conflicts = _create_contacts(client, diff, properties, report, batch_size, stamp)
    stamped = [update.with_properties(stamp) for update in updates]
    _update_contacts(client, [*stamped, *conflicts], report, batch_size)
    return report


def _drift_updates(diff: ContactDiff) -> Iterable[_Update]:
    for row in diff.updates_wide.iter_rows(named=True):
        contact_id, customer_id = row.pop("contact_id"), row.pop("customer_id")
        changed: Properties = {name: value for name, value in row.items() if value is not None}
        yield _Update(contact_id, customer_id, changed, "updated")


def _adoption_updates(diff: ContactDiff, properties: PropertiesConfig) -> Iterable[_Update]:
    payload = wire_properties(diff.adoptions, properties)
    id_property = properties.customer_id
    for row in payload.iter_rows(named=True):
        contact_id = row.pop("contact_id")
        # The primary email is an identity we matched on; it is never rewritten.
        row.pop("matched_on", None)
        row.pop("email", None)
        yield _Update(contact_id, int(row[id_property]), dict(row), "adopted")


def _create_contacts(
    client: HubSpotClient,
    diff: ContactDiff,
    properties: PropertiesConfig,
    report: WriteReport,
    batch_size: int,
    stamp: Properties,
) -> list[_Update]:
    """Create the missing contacts; returns the creates that hit an existing contact, as updates of it."""
    payload = wire_properties(diff.creates, properties)
    id_property = properties.customer_id
    inputs = [
        ContactCreate(
            properties={name: value for name, value in row.items() if value is not None} | stamp,
            object_write_trace_id=row[id_property],
        )
        for row in payload.iter_rows(named=True)
    ]
    if not inputs:
        return []
    outcome = create_contacts(client, inputs, batch_size)
    for contact in outcome.written:
        report.outcomes.append(ContactOutcome(_customer_of(contact, id_property), contact.id, "created"))
    conflicts: list[_Update] = []
    for rejected in outcome.rejected:
        customer_id = int(rejected.input.object_write_trace_id)
        if rejected.existing_id:
            # Search lag or an additional email hid this contact from matching: adopt it instead.
            adopted = {k: v for k, v in rejected.input.properties.items() if k != "email"}
            conflicts.append(_Update(rejected.existing_id, customer_id, adopted, "adopted"))
        else:
            report.outcomes.append(ContactOutcome(customer_id, None, "failed", rejected.reason))
    return conflicts


def _update_contacts(
    client: HubSpotClient, updates: Sequence[_Update], report: WriteReport, batch_size: int
) -> None:
    if not updates:
        return
    by_contact = {update.contact_id: update for update in updates}
    outcome = update_contacts(client, [(u.contact_id, u.properties) for u in by_contact.values()], batch_size)
    rejected_ids = {item.input[0] for item in outcome.rejected}
    for contact_id, update in by_contact.items():
        if contact_id not in rejected_ids:
            report.outcomes.append(ContactOutcome(update.customer_id, contact_id, update.action))
    for item in outcome.rejected:
        update = by_contact[item.input[0]]
        report.outcomes.append(ContactOutcome(update.customer_id, update.contact_id, "failed", item.reason))


def _customer_of(contact: Contact, id_property: str) -> int | None:
    value = contact.properties.get(id_property)
    return int(value) if value else None
