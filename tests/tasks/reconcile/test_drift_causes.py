"""drift_causes: a likely cause per drifted contact, from the diff, the ledger's orders and last writes."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from tasks.contacts.diff import diff_contacts
from tasks.reconcile.contact_pull import LAST_WRITTEN_SCHEMA
from tasks.reconcile.drift_causes import CAUSES_SCHEMA, drift_causes
from tasks.rules.config import PropertiesConfig
from tests.tasks.reconcile.scenario import (
    ADOPTED,
    CREATED,
    MANUAL,
    MISSED,
    ORPHAN,
    REFUNDED,
    scenario_contacts,
    scenario_expected,
    scenario_last_written,
    scenario_orders,
)


def _causes(last_written: pl.DataFrame) -> dict[int, str]:
    diff = diff_contacts(scenario_expected(), scenario_contacts(), orphan_policy="reset")
    causes = drift_causes(diff, scenario_orders(), last_written, PropertiesConfig())
    assert causes.schema == CAUSES_SCHEMA
    return dict(causes.iter_rows())


def test_each_drifted_customer_gets_the_cause_its_history_points_to() -> None:
    """Manual edit, refund after the write, a missed order, no contact, email-only contact, refunded
    orphan."""
    assert _causes(scenario_last_written()) == {
        MANUAL: "manual edit",
        REFUNDED: "refund",
        MISSED: "missed webhook",
        CREATED: "missed webhook",
        ADOPTED: "unlinked contact",
        ORPHAN: "refund",
    }


def test_without_last_write_times_values_alone_decide() -> None:
    """An incremental read has no write times: a higher total with refunds is still a refund, fewer orders a
    missed webhook, and an unexplained total a manual edit."""
    causes = _causes(LAST_WRITTEN_SCHEMA.to_frame())

    assert causes[REFUNDED] == "refund" and causes[ORPHAN] == "refund"
    assert causes[MISSED] == "missed webhook"
    assert causes[MANUAL] == "manual edit"


def test_a_diff_without_drift_has_no_causes() -> None:
    """Contacts already in sync produce an empty, typed frame."""
    expected = scenario_expected()
    in_sync = scenario_contacts().filter(pl.col("contact_id") == "107")
    diff = diff_contacts(expected.filter(pl.col("customer_id") == 7), in_sync, orphan_policy="reset")

    causes = drift_causes(diff, scenario_orders(), scenario_last_written(), PropertiesConfig())

    assert_frame_equal(causes, CAUSES_SCHEMA.to_frame())
