"""The customer's HubSpot contact under a privacy request: find it, read what shopsync wrote, forget it.

HubSpot owns the contact; shopsync owns only its own properties. Forgetting therefore empties every shopsync
property (`""` clears a HubSpot value) and, under the `delete_contact` policy, archives the contact too, but
only when shopsync created it (`tasks.store.redactions.CreatedContacts`). The properties are emptied before
an archive, so even the archived record, which HubSpot keeps restorable for 90 days, holds none of them.

One property stays: `shopify_customer_id` is a HubSpot unique property, which can be set once and never
changed or cleared. It is a Shopify id, not the customer's data, and it is what keeps the contact out of
every later shopsync write (the id is in `redacted_customers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import Contact
from tasks.rules.config import ShopsyncConfig

Fate = Literal["cleared", "deleted"]


def shopsync_properties(config: ShopsyncConfig) -> list[str]:
    """Every HubSpot property shopsync writes: the purchase facts, the write label and the mappings."""
    names = [*config.properties.by_column().values(), config.properties.write_source]
    names.extend(mapping.property for mapping in config.mapping)
    return list(dict.fromkeys(names))


def clearable_properties(config: ShopsyncConfig) -> list[str]:
    """The shopsync properties a redaction empties: all but the unique customer id (HubSpot refuses that)."""
    return [name for name in shopsync_properties(config) if name != config.properties.customer_id]


def contacts_of_customer(client: HubSpotClient, customer_id: int, config: ShopsyncConfig) -> list[Contact]:
    """The live contact carrying this Shopify customer id, with shopsync's properties (none: empty list)."""
    contact = client.get_contact(
        str(customer_id), id_property=config.properties.customer_id, properties=shopsync_properties(config)
    )
    return [] if contact is None else [contact]


@dataclass(frozen=True)
class ContactForgotten:
    """What happened to one contact: its shopsync properties were emptied, and maybe it was archived."""

    contact_id: str
    fate: Fate


def forget_contacts(
    client: HubSpotClient,
    contacts: Sequence[Contact],
    config: ShopsyncConfig,
    created_by_shopsync: set[str],
) -> list[ContactForgotten]:
    """Apply `privacy.on_redact` to the customer's contacts.

    Args:
        client: The HubSpot client.
        contacts: From `contacts_of_customer`.
        config: The property names and the policy.
        created_by_shopsync: Which of the contacts shopsync created (only those may be archived).

    Returns:
        One entry per contact.
    """
    cleared = dict.fromkeys(clearable_properties(config), "")
    forgotten = []
    for contact in contacts:
        client.update_contact(contact.id, cleared)
        delete = config.privacy.on_redact == "delete_contact" and contact.id in created_by_shopsync
        if delete:
            client.archive_contact(contact.id)
        forgotten.append(ContactForgotten(contact.id, "deleted" if delete else "cleared"))
    return forgotten
