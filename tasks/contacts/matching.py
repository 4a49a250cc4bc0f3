"""Which HubSpot contact stands for which Shopify customer: by Shopify id, else by email.

Split from `tasks.contacts.diff` because matching is about identity while the diff is about values.
"""

from __future__ import annotations

import polars as pl

from tasks.rules.frames import conform

DUPLICATES_SCHEMA = pl.Schema(
    {"customer_id": pl.Int64(), "contact_id": pl.String(), "kept_contact_id": pl.String()}
)
_EMAIL_MATCHES = ("email", "additional_email")


def numeric_id_order(column: str = "contact_id") -> list[pl.Expr]:
    """Sort keys that order HubSpot's numeric string ids as numbers ("9" before "10") without parsing them."""
    return [pl.col(column).str.len_chars(), pl.col(column)]


def sort_by_numeric_id(frame: pl.DataFrame, column: str = "contact_id") -> pl.DataFrame:
    """`frame` in `numeric_id_order`, rows with equal ids kept in their order.

    Two stable one-key sorts: a two-key sort with a string key costs about twice as much.
    """
    return frame.sort(column, maintain_order=True).sort(pl.col(column).str.len_chars(), maintain_order=True)


def split_duplicates(contacts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Contacts with a Shopify id, one per id (the lowest contact id), and the others as DUPLICATES_SCHEMA.

    Args:
        contacts: CONTACTS_SCHEMA frame.

    Returns:
        (targets: the kept contacts, unique by shopify_customer_id, in no particular order; duplicates: the
        report of the others, by customer id then contact id).
    """
    customer_id = pl.col("shopify_customer_id")
    keyed = contacts.filter(customer_id.is_not_null()).with_columns(
        customer_id.is_duplicated().alias("__shared")
    )
    # Only the few contacts sharing an id need ordering; sorting them all was the diff's largest cost.
    shared = (
        keyed.filter(pl.col("__shared"))
        .sort(customer_id, *numeric_id_order())
        .with_columns(customer_id.is_first_distinct().alias("__kept"))
    )
    kept = shared.filter(pl.col("__kept"))
    targets = pl.concat([keyed.filter(~pl.col("__shared")), kept.drop("__kept")]).drop("__shared")
    extra = shared.filter(~pl.col("__kept")).select(customer_id.alias("customer_id"), "contact_id")
    kept_ids = kept.select(customer_id.alias("customer_id"), kept_contact_id="contact_id")
    duplicates = extra.join(kept_ids, on="customer_id", how="left", validate="m:1", maintain_order="left")
    return targets, conform(duplicates, DUPLICATES_SCHEMA)


def adopt_by_email(
    expected: pl.DataFrame, targets: pl.DataFrame, contacts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Match customers without an id-matched contact to contacts without a Shopify id, by email.

    Only customers with at least one qualifying order are adopted or created. A primary-email match beats an
    additional-email match; a contact is adopted by one customer at most (the lowest customer id), and a
    customer left without a contact is a create.

    Args:
        expected: EXPECTED_SCHEMA (+ mapping columns).
        targets: Contacts matched by Shopify id (from `split_duplicates`).
        contacts: All contacts (CONTACTS_SCHEMA).

    Returns:
        (adoptions: contact_id, matched_on, then the expected columns except email; creates: expected rows).
    """
    # Anti join first: it leaves a few thousand rows to filter instead of every customer.
    unmatched = expected.join(
        targets.select(customer_id="shopify_customer_id"), on="customer_id", how="anti"
    ).filter(pl.col("order_count") > 0)
    candidates = unmatched.select("customer_id", "email").join(
        _email_lookup(contacts), on="email", how="inner"
    )
    chosen = (
        candidates.sort("customer_id", "__rank", *numeric_id_order())
        .filter(pl.col("customer_id").is_first_distinct())
        .sort("contact_id", "customer_id")
        .filter(pl.col("contact_id").is_first_distinct())
        .select("customer_id", "contact_id", "matched_on")
    )
    adopted = chosen.join(unmatched, on="customer_id", how="left", validate="1:1")
    adoption_schema = pl.Schema(
        {
            "contact_id": pl.String(),
            "matched_on": pl.String(),
            **{name: dtype for name, dtype in unmatched.schema.items() if name != "email"},
        }
    )
    creates = unmatched.join(chosen, on="customer_id", how="anti").sort("customer_id")
    return conform(adopted.sort("customer_id"), adoption_schema), conform(creates, expected.schema)


def _email_lookup(contacts: pl.DataFrame) -> pl.DataFrame:
    """(email, contact_id, matched_on, __rank) for every email of every contact without a Shopify id."""
    free = contacts.select("contact_id", "email", "additional_emails").filter(
        contacts["shopify_customer_id"].is_null()
    )
    primary = free.select("contact_id", email="email")
    additional = free.select("contact_id", email="additional_emails").explode("email")
    return pl.concat(
        [
            frame.select(
                pl.col("email").str.strip_chars().str.to_lowercase(),
                "contact_id",
                pl.lit(source).alias("matched_on"),
                pl.lit(rank, pl.UInt8()).alias("__rank"),
            )
            for rank, (source, frame) in enumerate(zip(_EMAIL_MATCHES, (primary, additional), strict=True))
        ]
    ).drop_nulls("email")
