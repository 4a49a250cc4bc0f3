"""The privacy requests, step by step, as plain functions (the Prefect tasks in `tasks.py` call these).

A redaction holds the customer's contact lease (`tasks.store.contact_leases`) from before it erases the
store until HubSpot has been cleared: the real-time sync, a replay and the nightly compute and write a
contact only under that lease, so none of them can be half-way through a write of the customer's old values
when the redaction ends, and once it has ended the store refuses the customer's orders.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from tasks.contacts.leased import ContactLeaseTimeout, LeaseHolder
from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import Contact
from tasks.privacy.export import data_request_markdown, write_data_request
from tasks.privacy.hubspot_contacts import contacts_of_customer, forget_contacts, shopsync_properties
from tasks.privacy.report_files import purge_report_files, scrub_report_files
from tasks.privacy.requests import CustomerRequest
from tasks.privacy.scrub import Mentions
from tasks.rules.config import ShopsyncConfig
from tasks.store.contact_leases import ContactLeases
from tasks.store.erasure import CustomerHoldings, customer_holdings, erase_customer, purge_shop
from tasks.store.redactions import CreatedContacts

_FIRST_WAIT, _MAX_WAIT = 0.05, 1.0


@dataclass(frozen=True)
class PrivacyContext:
    """What the privacy steps work on: the database, HubSpot, the rules and the data folder."""

    engine: Engine
    leases: ContactLeases
    created: CreatedContacts
    hubspot: HubSpotClient
    config: ShopsyncConfig
    data_dir: Path


@dataclass(frozen=True)
class Redaction:
    """What a customer redaction did, in counts, and how to recognise the customer in what remains.

    `mentions` holds the customer's identifiers (in memory, for the artifact clean-up that follows); it is
    never logged, returned by a task or stored.
    """

    orders: int
    deliveries: int
    contacts_cleared: int
    contacts_deleted: int
    report_lines: int
    mentions: Mentions


def redact_customer(
    context: PrivacyContext, request: CustomerRequest, holder: LeaseHolder, now: datetime
) -> Redaction:
    """Forget a customer: store rows, HubSpot properties (by policy) and report lines.

    Idempotent: a second redaction of the same customer finds nothing left and changes nothing.
    """
    with customer_lease(context.leases, request.customer_id, holder):
        contacts = contacts_of_customer(context.hubspot, request.customer_id, context.config)
        holdings = erase_customer(context.engine, request.keys(), now)
        created = context.created.created_by_shopsync(contact.id for contact in contacts)
        forgotten = forget_contacts(context.hubspot, contacts, context.config, created)
    deleted = [entry.contact_id for entry in forgotten if entry.fate == "deleted"]
    context.created.forget(deleted)
    mentions = Mentions(_identifiers(request, holdings, contacts))
    lines = scrub_report_files(context.data_dir, request.customer_id, mentions)
    return Redaction(
        orders=len(holdings.orders),
        deliveries=len(holdings.deliveries),
        contacts_cleared=len(forgotten) - len(deleted),
        contacts_deleted=len(deleted),
        report_lines=lines,
        mentions=mentions,
    )


def export_customer(context: PrivacyContext, request: CustomerRequest, now: datetime) -> tuple[str, Path]:
    """Write the data request's report to the data folder; returns its markdown and path."""
    holdings = customer_holdings(context.engine, request.keys())
    names = set(shopsync_properties(context.config))
    contacts = [
        contact.model_copy(update={"properties": {k: v for k, v in contact.properties.items() if k in names}})
        for contact in contacts_of_customer(context.hubspot, request.customer_id, context.config)
    ]
    markdown = data_request_markdown(request, holdings, contacts, now)
    return markdown, write_data_request(context.data_dir, request, markdown)


def redact_shop(context: PrivacyContext) -> dict[str, int]:
    """Delete everything shopsync stores for the shop: tables (but the redacted ids) and report files."""
    counts = purge_shop(context.engine)
    counts["report_files"] = purge_report_files(context.data_dir)
    return counts


@contextmanager
def customer_lease(
    leases: ContactLeases,
    customer_id: int,
    holder: LeaseHolder,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold the customer's contact lease for the block, waiting (up to `holder.patience`) for its holder.

    Raises:
        ContactLeaseTimeout: Another writer kept the lease longer than the patience.
    """
    deadline, wait = clock() + holder.patience, _FIRST_WAIT
    while not leases.acquire([customer_id], holder.name):
        if clock() >= deadline:
            waited = f"{holder.patience:.0f} s"
            raise ContactLeaseTimeout(f"a customer stayed leased by another writer for {waited}")
        sleep(wait)
        wait = min(wait * 2, _MAX_WAIT)
    try:
        yield
    finally:
        leases.release([customer_id], holder.name)


def _identifiers(request: CustomerRequest, holdings: CustomerHoldings, contacts: list[Contact]) -> list[str]:
    """Everything that names the customer in a report or artifact row."""
    values = [str(request.customer_id), request.email or "", request.phone or ""]
    values += [str(order_id) for order_id in request.order_ids]
    for order in holdings.orders:
        values += [str(order.order_id), order.name, order.email or ""]
    values += [contact.id for contact in contacts]
    return values
