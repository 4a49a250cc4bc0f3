"""Reconciliation's HubSpot read: the contacts the diff compares with the ledger's expected values.

Full runs list every contact (the list endpoint: no search, no 10k cap) and keep when each was last
written, for the drift report's likely causes; incremental runs batch-read only the customers whose orders
the Shopify read saw (`pull.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from tasks.contacts.lookup import contact_properties, read_contacts_for
from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import Contact
from tasks.reconcile.pull import Mode
from tasks.rules.config import ShopsyncConfig
from tasks.rules.frames import contacts_frame
from tasks.store.db import utcnow

LAST_WRITTEN_PROPERTY = "lastmodifieddate"
LAST_WRITTEN_SCHEMA = pl.Schema({"contact_id": pl.String(), "last_written": pl.Datetime("us", "UTC")})
# Listed contacts turned into a frame at a time.
_CONTACTS_PER_FRAME = 5_000


@dataclass(frozen=True)
class ContactSnapshot:
    """HubSpot as read: contacts typed for the diff, and when each was last written (full reads only).

    `seq` is the store sequence read before the first contact was: a contact leased by a writer after it
    may hold values this snapshot never saw (`tasks.store.contact_leases`).
    """

    contacts: pl.DataFrame
    last_written: pl.DataFrame
    taken_at: datetime
    seq: int = 0


def pull_contacts(
    hubspot: HubSpotClient,
    config: ShopsyncConfig,
    mode: Mode,
    customers: pl.DataFrame,
    clock: Callable[[], datetime] = utcnow,
    seq: int = 0,
) -> ContactSnapshot:
    """Read the HubSpot side of the diff.

    Args:
        hubspot: The HubSpot client (paced under the rate limit, retried inside).
        config: Property names and mappings (only those properties are requested).
        mode: "full" lists every contact (100 per page, the list endpoint: no search, no 10k cap);
            "incremental" batch-reads the `customers` by Shopify id, then the missing ones by email.
        customers: customer_id and email of the customers to look up (incremental only).
        clock: Aware UTC now.
        seq: The store sequence, read just before this call.

    Returns:
        The contacts and, for full reads, when each was last written.
    """
    if mode == "incremental":
        frame = read_contacts_for(hubspot, customers.select("customer_id", "email"), config)
        return ContactSnapshot(frame, LAST_WRITTEN_SCHEMA.to_frame(), clock(), seq)
    # Pages become frames a few thousand contacts at a time: 250k Contact models held at once were ~0.5 GB.
    frames: list[pl.DataFrame] = []
    written: list[pl.DataFrame] = []
    pending: list[Contact] = []
    for page in hubspot.iter_contacts([*contact_properties(config), LAST_WRITTEN_PROPERTY]):
        pending.extend(page)
        if len(pending) >= _CONTACTS_PER_FRAME:
            _add_frames(pending, config, frames, written)
    taken_at = clock()
    if pending or not frames:
        _add_frames(pending, config, frames, written)
    return ContactSnapshot(pl.concat(frames), pl.concat(written), taken_at, seq)


def _add_frames(
    contacts: list[Contact], config: ShopsyncConfig, frames: list[pl.DataFrame], written: list[pl.DataFrame]
) -> None:
    """Append the contacts' frame and their last-written times, then empty `contacts`."""
    frames.append(contacts_frame(contacts, config.properties, config.mapping))
    written.append(_last_written(contacts))
    contacts.clear()


def _last_written(contacts: Sequence[Contact]) -> pl.DataFrame:
    raw = pl.DataFrame(
        {
            "contact_id": [contact.id for contact in contacts],
            "last_written": [contact.properties.get(LAST_WRITTEN_PROPERTY) for contact in contacts],
        },
        schema={"contact_id": pl.String(), "last_written": pl.String()},
    )
    parsed = pl.col("last_written").str.to_datetime(time_zone="UTC", strict=False)
    return raw.select("contact_id", parsed.dt.cast_time_unit("us").alias("last_written"))
