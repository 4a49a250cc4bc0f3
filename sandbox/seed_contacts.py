"""The HubSpot portal as shopsync finds it: contacts that predate the sync, some of them awkward."""

from __future__ import annotations

import random
from typing import Any

from sandbox.seed_models import SeedContact

_UNRELATED = (
    ("Nora", "Prospect"),
    ("Omar", "Webinar"),
    ("Priya", "Partner"),
    ("Quinn", "Newsletter"),
    ("Rafael", "Trade-Show"),
)


def build_contacts(
    customers: list[dict[str, Any]], guest_emails: list[str], rng: random.Random
) -> tuple[list[SeedContact], list[str]]:
    """Pre-existing contacts plus a drift line explaining each awkward one.

    Args:
        customers: the store's customers (those without an email are never matched).
        guest_emails: emails of guest checkouts; the first gets a contact of its own.
        rng: the seed's random source.

    Returns:
        (contacts, drift notes). `merged_into` indexes point into the returned list.
    """
    emailed = [customer for customer in customers if customer.get("email")]
    picks = rng.sample(emailed, k=len(emailed))
    contacts: list[SeedContact] = []
    notes: list[str] = []
    if len(picks) >= 1:
        _add_additional_email_contact(picks[0], contacts, notes)
    if len(picks) >= 2:
        _add_merged_pair(picks[1], contacts, notes)
    for customer in picks[2 : 2 + len(picks) // 2]:
        email = _case_variant(customer["email"])
        contacts.append(SeedContact(_person(customer, email, "lead")))
        notes.append(
            f"HubSpot contact {email} matches Shopify customer {customer['id']} only by email "
            "in another case; it has no shopify_customer_id yet"
        )
    for guest_email in guest_emails[:1]:
        email = guest_email.strip().lower()
        contacts.append(SeedContact({"email": email, "firstname": "Guest", "lastname": "Buyer"}))
        notes.append(f"HubSpot contact {email} bought only as a guest (no Shopify customer id)")
    for first, last in _UNRELATED:
        email = f"{first.lower()}.{last.lower()}@prospects.example.com"
        contacts.append(
            SeedContact({"email": email, "firstname": first, "lastname": last, "lifecyclestage": "lead"})
        )
    notes.append(
        f"{len(_UNRELATED)} HubSpot contacts have nothing to do with the shop and must stay untouched"
    )
    return contacts, notes


def _add_additional_email_contact(
    customer: dict[str, Any], contacts: list[SeedContact], notes: list[str]
) -> None:
    shop_email = customer["email"].strip().lower()
    work_email = f"{customer['first_name'].lower()}.work{len(contacts)}@corp.example.org"
    properties = _person(customer, work_email, "customer")
    properties["hs_additional_emails"] = f"{shop_email};{customer['last_name'].lower()}@old-isp.example.net"
    contacts.append(SeedContact(properties))
    notes.append(
        f"HubSpot contact {work_email} holds Shopify customer {customer['id']}'s email {shop_email} "
        "only in hs_additional_emails"
    )


def _add_merged_pair(customer: dict[str, Any], contacts: list[SeedContact], notes: list[str]) -> None:
    survivor = len(contacts)
    email = _case_variant(customer["email"])
    contacts.append(SeedContact(_person(customer, email, "customer")))
    old_email = f"old.{customer['email'].strip().lower()}"
    contacts.append(SeedContact(_person(customer, old_email, "lead"), merged_into=survivor))
    notes.append(
        f"HubSpot contacts {old_email} and {email} (Shopify customer {customer['id']}) were merged; "
        "the old contact id now resolves to the merged record"
    )


def _person(customer: dict[str, Any], email: str, lifecycle_stage: str) -> dict[str, str]:
    properties = {
        "email": email,
        "firstname": customer["first_name"],
        "lastname": customer["last_name"],
        "lifecyclestage": lifecycle_stage,
    }
    if customer.get("phone"):
        properties["phone"] = customer["phone"]
    return properties


def _case_variant(email: str) -> str:
    """The same address in a different case (and trimmed), as another system might have stored it."""
    return email.strip().upper()
