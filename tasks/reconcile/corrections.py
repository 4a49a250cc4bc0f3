"""Every correction a reconciliation plans, one row per contact and property, and what became of it.

This is the table behind the `drift-corrections` artifact and the Parquet/CSV files: creates, adoptions and
rewrites with before → after, reported orphans and duplicates, then each row's write status and error reason.
Emails never appear in it (they are PII and the artifact is visible to everyone with UI access).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from tasks.contacts.diff import ContactDiff, wire_properties
from tasks.contacts.matching import numeric_id_order
from tasks.contacts.writer import WriteReport
from tasks.rules.config import PropertiesConfig

CORRECTIONS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64(),
        "contact_id": pl.String(),
        "kind": pl.String(),
        "property": pl.String(),
        "before": pl.String(),
        "after": pl.String(),
        "cause": pl.String(),
        "status": pl.String(),
        "reason": pl.String(),
    }
)
PLANNED, WRITTEN, FAILED, REPORTED = "planned", "written", "failed", "reported"
# Another writer touched the customer after the run's snapshot: it was written from a fresh read instead.
RECOMPUTED = "recomputed"
_RECOMPUTED_REASON = "another writer touched it during the run: written from a fresh read instead"
_KINDS_WRITTEN = ("create", "adopt", "update", "reset")


def planned_corrections(
    diff: ContactDiff, causes: pl.DataFrame, properties: PropertiesConfig, *, orphans_written: bool
) -> pl.DataFrame:
    """The corrections of `diff`, status "planned" (writes) or "reported" (orphans kept, duplicates).

    Args:
        diff: The diff.
        causes: customer_id, cause (`tasks.reconcile.drift_causes.drift_causes`).
        properties: HubSpot property names.
        orphans_written: True under the "reset" orphan policy (their resets are in `diff.updates`).

    Returns:
        CORRECTIONS_SCHEMA rows, by kind then customer and contact.
    """
    orphan_ids = diff.orphans.get_column("contact_id")
    rewrites = diff.updates.select(
        "customer_id",
        "contact_id",
        pl.when(pl.col("contact_id").is_in(orphan_ids.implode()))
        .then(pl.lit("reset"))
        .otherwise(pl.lit("update"))
        .alias("kind"),
        "property",
        before="old",
        after="new",
    )
    parts = [
        _new_values(diff.creates, "create", properties),
        _new_values(diff.adoptions, "adopt", properties),
        rewrites.with_columns(status=pl.lit(PLANNED)),
        _reported(diff, properties, orphans_written),
    ]
    frame = pl.concat([part.with_columns(reason=pl.lit(None, pl.String())) for part in parts], how="diagonal")
    frame = frame.join(causes, on="customer_id", how="left")
    return frame.select(CORRECTIONS_SCHEMA.names()).cast(CORRECTIONS_SCHEMA)


def _new_values(frame: pl.DataFrame, kind: str, properties: PropertiesConfig) -> pl.DataFrame:
    """One row per property a create or an adoption writes, the Shopify id included (not the email)."""
    payload = wire_properties(frame, properties).drop("email", "matched_on", strict=False)
    if "contact_id" not in payload.columns:
        payload = payload.with_columns(contact_id=pl.lit(None, pl.String()))
    keyed = payload.with_columns(pl.col(properties.customer_id).cast(pl.Int64()).alias("__customer"))
    long = keyed.unpivot(index=["contact_id", "__customer"], variable_name="property", value_name="after")
    return long.select(
        pl.col("__customer").alias("customer_id"),
        "contact_id",
        pl.lit(kind).alias("kind"),
        "property",
        pl.lit(None, pl.String()).alias("before"),
        "after",
        pl.lit(PLANNED).alias("status"),
    ).sort("customer_id", maintain_order=True)


def _reported(diff: ContactDiff, properties: PropertiesConfig, orphans_written: bool) -> pl.DataFrame:
    """Orphans left alone under the "report" policy, and duplicate contacts: listed, never written."""
    orphans = diff.orphans.filter(pl.lit(not orphans_written)).select(
        "customer_id",
        "contact_id",
        kind=pl.lit("orphan"),
        property=pl.lit(properties.total_spent),
        before=pl.col("total_spent").cast(pl.String()),
        after=pl.lit("0.00"),
    )
    duplicates = diff.duplicates.select(
        "customer_id",
        "contact_id",
        kind=pl.lit("duplicate"),
        property=pl.lit(properties.customer_id),
        before=pl.col("customer_id").cast(pl.String()),
        after=pl.lit(None, pl.String()),
    )
    return pl.concat([orphans, duplicates.cast(orphans.schema)]).with_columns(status=pl.lit(REPORTED))


def with_outcomes(
    corrections: pl.DataFrame, report: WriteReport, recomputed: Iterable[int] = ()
) -> pl.DataFrame:
    """The corrections with each write's result: "written", or "failed" and HubSpot's reason.

    A create that met an existing contact (409) and was written to it instead gets that contact's id. The
    planned rows of a customer that was recomputed from a fresh read say so: what was written is then
    the fresh values, not the planned "after".

    Args:
        corrections: `planned_corrections` output.
        report: What `apply_diff` did.
        recomputed: Customers written from a fresh read rather than the plan.

    Returns:
        CORRECTIONS_SCHEMA rows; reported rows keep their status.
    """
    outcomes = (
        report.frame()
        .filter(pl.col("customer_id").is_not_null())
        .unique("customer_id", keep="last", maintain_order=True)
        .select("customer_id", written_to="contact_id", action="action", why="reason")
    )
    planned = pl.col("status") == PLANNED
    failed = pl.col("action") == "failed"
    fresh = pl.col("customer_id").is_in(pl.Series(sorted(set(recomputed)), dtype=pl.Int64()).implode())
    return (
        corrections.join(outcomes, on="customer_id", how="left")
        .with_columns(
            contact_id=pl.coalesce("contact_id", "written_to"),
            status=pl.when(planned & failed)
            .then(pl.lit(FAILED))
            .when(planned & fresh)
            .then(pl.lit(RECOMPUTED))
            .when(planned)
            .then(pl.lit(WRITTEN))
            .otherwise("status"),
            reason=pl.when(planned & failed)
            .then("why")
            .when(planned & fresh)
            .then(pl.lit(_RECOMPUTED_REASON))
            .otherwise("reason"),
        )
        .select(CORRECTIONS_SCHEMA.names())
    )


def corrected_contacts(corrections: pl.DataFrame) -> int:
    """How many contacts (or customers, for creates) the corrections write to."""
    writes = corrections.filter(pl.col("kind").is_in(_KINDS_WRITTEN))
    return writes.select(pl.col("customer_id").n_unique()).item() if writes.height else 0


def sorted_for_display(corrections: pl.DataFrame) -> pl.DataFrame:
    """Errors first, then by kind, customer and property: what a reader scans for."""
    return corrections.sort(
        pl.col("status") != FAILED, "kind", "customer_id", *numeric_id_order(), "property", nulls_last=True
    )
