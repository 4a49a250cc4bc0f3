"""The drift report: markdown content from a small diff, contact links, and the Parquet/CSV files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tasks.reconcile.contact_pull import ContactSnapshot
from tasks.reconcile.corrections import CORRECTIONS_SCHEMA
from tasks.reconcile.drift_report import ReportContext, contact_url, drift_report_markdown, write_report_files
from tasks.reconcile.pull import OrderPull
from tasks.reconcile.steps import LedgerState, check_drift_cap, plan_reconciliation, summarize
from tasks.rules.config import PropertiesConfig, ShopsyncConfig
from tests.tasks.reconcile.scenario import (
    scenario_contacts,
    scenario_expected,
    scenario_last_written,
    scenario_orders,
)

RUN_AT = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
PULL = OrderPull(
    mode="full",
    source="bulk",
    since=None,
    started_at=RUN_AT,
    finished_at=RUN_AT,
    orders_seen=8,
    changed_order_ids=(1, 2),
    customer_ids=(1, 2, 3, 4, 5, 6, 7),
    watermark=RUN_AT,
)


@pytest.fixture
def report() -> str:
    state = LedgerState(scenario_orders(), scenario_expected())
    snapshot = ContactSnapshot(scenario_contacts(), scenario_last_written(), RUN_AT)
    plan = plan_reconciliation(state, snapshot, PULL, ShopsyncConfig())
    cap = check_drift_cap(plan.diff, 0.9, force=False)
    summary = summarize(PULL, plan, plan.corrections, cap, dry_run=True)
    context = ReportContext(PULL, RUN_AT, cap, "USD", lambda cid: contact_url(cid, "4242", "unused"))
    return drift_report_markdown(summary, plan.corrections, context, PropertiesConfig())


def test_header_names_the_window_the_snapshots_and_the_dry_run(report: str) -> None:
    """The page says it was a dry run, what was read how, when, and the match score."""
    assert "dry run, nothing written" in report
    assert "every order, read via bulk (8 orders, 2 new to the ledger)" in report
    assert "HubSpot contacts as of 2026-03-11 02:00:00 UTC (6 contacts read)" in report
    assert "**Match score:** 14.3% of the contacts of 7 customers" in report  # 1 in sync of 7
    assert "4 of 5 contacts would be rewritten (80.0%), which is within the cap of 90.0%" in report


def test_counts_per_category(report: str) -> None:
    """One row per category with the scenario's counts (the orphan is counted once, as an orphan)."""
    for category, count in [
        ("creates", 1),
        ("adoptions", 1),
        ("updates", 3),
        ("orphans", 1),
        ("unchanged", 1),
    ]:
        assert f"| {category} | {count} |" in report


def test_per_property_table_counts_contacts_and_sums_the_money_delta(report: str) -> None:
    """Six totals change: -250 (edit), -20 (refund), +50 (missed order), +50 (create), +50 (adopt), -50."""
    assert "| shopify_total_spent | 6 | -170.00 USD |" in report
    assert "| shopify_order_count | 4 | — |" in report  # customers 3, 4, 5 and 6


def test_largest_corrections_show_before_after_link_and_cause(report: str) -> None:
    """Rewrites come first, largest change first, each linked to the contact in the HubSpot portal."""
    table = report.split("## Largest corrections", 1)[1]
    first_row = next(line for line in table.splitlines() if line.startswith("| 1 |"))
    assert "[101](https://app.hubspot.com/contacts/4242/record/0-1/101)" in first_row
    assert "300.00 → 50.00 (-250.00 USD)" in first_row and "manual edit" in first_row
    assert table.index("| 1 |") < table.index("| 6 |") < table.index("| 4 |")
    assert "| 4 | (new) | create | — → 50.00 (+50.00 USD) | missed webhook |" in table


def test_likely_causes_are_counted(report: str) -> None:
    """Each cause with the number of contacts it explains."""
    for line in ("**refund**: 2", "**missed webhook**: 2", "**manual edit**: 1", "**unlinked contact**: 1"):
        assert line in report


def test_contact_url_points_at_the_portal_or_the_api_record() -> None:
    """With a portal id the HubSpot UI record, else the (sandbox) API record."""
    assert contact_url("51", "4242", "x") == "https://app.hubspot.com/contacts/4242/record/0-1/51"
    assert (
        contact_url("51", None, "http://127.0.0.1:8720/")
        == "http://127.0.0.1:8720/crm/v3/objects/contacts/51"
    )


def test_report_files_hold_every_correction_in_parquet_and_csv(tmp_path: Path) -> None:
    """Both files are written in the run's folder and hold the same rows."""
    rows = [(1, "101", "update", "shopify_total_spent", "300.00", "50.00", "manual edit", "written", None)]
    corrections = pl.DataFrame(rows, schema=CORRECTIONS_SCHEMA, orient="row")

    parquet, csv = write_report_files(corrections, tmp_path / "reports" / "run-1")

    assert_frame_equal(pl.read_parquet(parquet), corrections)
    assert_frame_equal(pl.read_csv(csv, schema=CORRECTIONS_SCHEMA), corrections)
