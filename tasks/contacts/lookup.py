"""Find the HubSpot contacts of a set of Shopify customers, for the real-time path.

By the unique Shopify id first; customers without one are looked up by primary email so existing contacts get
adopted instead of duplicated. Additional emails are not matched by HubSpot's email lookups (api-facts B7): a
create that collides with one answers 409 "Existing ID", which the writer turns into an adoption.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import Contact
from tasks.rules.config import ShopsyncConfig
from tasks.rules.frames import contacts_frame


def contact_properties(config: ShopsyncConfig) -> list[str]:
    """Every property the diff compares or matches on, as HubSpot names."""
    names = ["email", "hs_additional_emails", *config.properties.by_column().values()]
    names.extend(mapping.property for mapping in config.mapping)
    return list(dict.fromkeys(names))


def read_contacts_for(client: HubSpotClient, customers: pl.DataFrame, config: ShopsyncConfig) -> pl.DataFrame:
    """The live contacts of `customers` (columns customer_id, email) as a CONTACTS_SCHEMA frame.

    Args:
        client: The HubSpot client.
        customers: One row per customer to look up.
        config: Property names and mappings.

    Returns:
        Contacts found by Shopify id or by email, each once.
    """
    wanted = contact_properties(config)
    ids = [str(customer_id) for customer_id in customers["customer_id"].to_list()]
    by_id, missing = client.batch_read(ids, id_property=config.properties.customer_id, properties=wanted)
    missing_ids = {int(value) for value in missing}
    emails = (
        customers.filter(pl.col("customer_id").is_in(missing_ids) & pl.col("email").is_not_null())
        .get_column("email")
        .unique()
        .to_list()
    )
    by_email: Sequence[Contact] = []
    if emails:
        by_email, _ = client.batch_read(emails, id_property="email", properties=wanted)
    unique = {contact.id: contact for contact in [*by_id, *by_email]}
    return contacts_frame(unique.values(), config.properties, config.mapping)
