"""Reconciliation steps: expected values from the ledger, the incremental scope, the safety cap, outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tasks.contacts.diff import diff_contacts
from tasks.contacts.writer import ContactOutcome, WriteReport
from tasks.reconcile.contact_pull import ContactSnapshot
from tasks.reconcile.corrections import with_outcomes
from tasks.reconcile.pull import OrderPull
from tasks.reconcile.steps import (
    DriftCapExceeded,
    LedgerState,
    check_drift_cap,
    describe_reconcile,
    expected_all,
    plan_reconciliation,
    summarize,
)
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import ShopsyncConfig
from tasks.shopify.models import OrderRecord
from tasks.store.db import create_schema, make_engine
from tasks.store.ledger import Ledger
from tests.tasks.order_stubs import StubOrder
from tests.tasks.reconcile.scenario import (
    CREATED,
    MANUAL,
    REFUNDED,
    scenario_contacts,
    scenario_expected,
    scenario_last_written,
    scenario_orders,
)

NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def _pull(mode: str = "full", customers: tuple[int, ...] = ()) -> OrderPull:
    return OrderPull(mode, "pages", None, NOW, NOW, 0, (), customers, NOW)  # type: ignore[arg-type]


def _plan(pull: OrderPull) -> tuple[LedgerState, ContactSnapshot]:
    state = LedgerState(scenario_orders(), scenario_expected())
    return state, ContactSnapshot(scenario_contacts(), scenario_last_written(), NOW)


def test_expected_values_come_from_every_ledger_order_by_the_real_time_rules(tmp_path: Path) -> None:
    """expected_all equals customer_aggregates over the whole ledger (refunds net, cancelled left out)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    create_schema(engine)
    ledger = Ledger(engine)
    stubs = [
        StubOrder(order_id=1),
        replace(StubOrder(order_id=2, customer_id=2), cancelled=True),
        replace(StubOrder(order_id=3, customer_id=2), financial_status="partially_refunded"),
    ]
    records = [OrderRecord.model_validate(vars(stub)) for stub in stubs]
    ledger.upsert(records)

    state = expected_all(ledger, ShopsyncConfig())

    assert state.orders.height == 3
    assert_frame_equal(state.expected, customer_aggregates(state.orders, ShopsyncConfig().rules))
    assert state.expected.filter(pl.col("customer_id") == 2)["order_count"].item() == 1


def test_an_incremental_plan_checks_only_the_customers_whose_orders_were_read() -> None:
    """Customers outside the pull are neither created nor rewritten, even when they drifted."""
    state, snapshot = _plan(_pull())
    pull = _pull("incremental", (MANUAL, CREATED))

    plan = plan_reconciliation(state, snapshot, pull, ShopsyncConfig())

    assert plan.customers_checked == 2
    assert set(plan.corrections["customer_id"].to_list()) == {MANUAL, CREATED}


def test_the_cap_blocks_a_run_that_would_rewrite_more_than_the_allowed_share() -> None:
    """4 of 5 matched contacts drifted: 80 % is over a 50 % cap, and enforce() says so before any write."""
    state, snapshot = _plan(_pull())
    diff = plan_reconciliation(state, snapshot, _pull(), ShopsyncConfig()).diff

    cap = check_drift_cap(diff, 0.5, force=False)

    assert (cap.rewrites, cap.population, cap.share, cap.exceeded) == (4, 5, 0.8, True)
    with pytest.raises(DriftCapExceeded, match=r"4 of 5 contacts would be rewritten \(80\.0%\).*50\.0%"):
        cap.enforce()


def test_force_and_a_larger_population_let_the_run_write() -> None:
    """Forcing lifts the cap; an incremental run measures its share against every known customer."""
    state, snapshot = _plan(_pull())
    diff = plan_reconciliation(state, snapshot, _pull(), ShopsyncConfig()).diff

    check_drift_cap(diff, 0.5, force=True).enforce()
    diluted = check_drift_cap(diff, 0.5, force=False, population=40)

    assert diluted.share == 0.1 and not diluted.exceeded
    diluted.enforce()


def test_write_outcomes_mark_rows_written_or_failed_with_the_reason() -> None:
    """A refused contact's rows carry HubSpot's reason; a created contact's rows get its new id."""
    state, snapshot = _plan(_pull())
    plan = plan_reconciliation(state, snapshot, _pull(), ShopsyncConfig())
    report = WriteReport(
        [
            ContactOutcome(CREATED, "555", "created"),
            ContactOutcome(REFUNDED, "102", "failed", "Property values were not valid"),
        ]
    )

    corrections = with_outcomes(plan.corrections, report)

    created = corrections.filter(pl.col("customer_id") == CREATED)
    assert set(created["contact_id"].to_list()) == {"555"} and set(created["status"].to_list()) == {"written"}
    refused = corrections.filter(pl.col("customer_id") == REFUNDED)
    assert set(refused["status"].to_list()) == {"failed"}
    assert set(refused["reason"].to_list()) == {"Property values were not valid"}
    summary = summarize(_pull(), plan, corrections, check_drift_cap(plan.diff, 1.0, False), dry_run=False)
    assert (summary.failed, summary.written) == (1, 5)


def test_run_names_say_what_the_run_found() -> None:
    """Names for a drifted run, a clean dry run and an aborted one."""
    state, snapshot = _plan(_pull())
    plan = plan_reconciliation(state, snapshot, _pull(), ShopsyncConfig())
    cap = check_drift_cap(plan.diff, 1.0, False)
    summary = summarize(_pull(), plan, plan.corrections, cap, dry_run=False)
    clean = diff_contacts(scenario_expected().head(0), scenario_contacts().head(0), orphan_policy="reset")

    assert describe_reconcile(summary) == "full · 6 drifted of 7"
    assert describe_reconcile(summary.model_copy(update={"written": 6, "failed": 0})) == (
        "full · 6 drifted of 7 · 6 written"
    )
    capped = summary.model_copy(update={"cap_exceeded": True, "drift_share": 0.8})
    assert describe_reconcile(capped) == "full · aborted: drift 80% over the cap"
    empty = replace(plan, diff=clean, customers_checked=7)
    assert describe_reconcile(summarize(_pull(), empty, plan.corrections.head(0), cap, True)) == (
        "full dry run · no drift in 7 customers"
    )
