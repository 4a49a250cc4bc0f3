"""The nightly run meets an impossible order in Shopify: reported, kept out, nobody mis-corrected."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import polars as pl
import pytest

from flows.reconcile import reconcile_shopify_hubspot
from tasks.runtime import database
from tasks.settings import get_settings
from tasks.store.ledger import Ledger
from tests.flows.test_reconcile_flow import _drifted_customers, _latest_artifact, _portal
from tests.flows.world import World, build_world

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with build_world(tmp_path, monkeypatch) as built:
        yield built


def _spoil_an_order_of_a_drifted_customer(world: World) -> tuple[int, int]:
    """Give one paid order of a customer whose contact has drifted a negative current total in Shopify."""
    store = world.sandbox.shopify_store
    customer_id, order = next(
        (customer_id, order)
        for customer_id in sorted(_drifted_customers(world))
        for order in store.customer_orders(customer_id)
        if order["financial_status"] == "paid" and not order.get("test")
    )
    spoiled = copy.deepcopy(order)
    spoiled["current_total_price"] = "-5.00"
    spoiled["current_total_price_set"]["shop_money"]["amount"] = "-5.00"
    store.upsert_order(spoiled)
    return customer_id, int(order["id"])


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_an_invalid_order_is_reported_kept_out_of_the_ledger_and_its_customer_is_not_corrected(
    world: World, mode: Literal["full", "incremental"]
) -> None:
    """Bulk (full) and paged (incremental) reads both refuse the order without failing the pull:
    the report lists it with its field, the ledger never holds it, its customer's contact is left exactly
    as it was, and every other drifted customer is still corrected."""
    customer_id, order_id = _spoil_an_order_of_a_drifted_customer(world)
    other_drifted = _drifted_customers(world) - {customer_id}
    before = _portal(world)
    held_contacts = {
        contact_id: properties
        for contact_id, properties in before.items()
        if properties.get("shopify_customer_id") == str(customer_id)
    }

    # An incremental run with a window pages through orders; a full one reads a bulk export.
    summary = reconcile_shopify_hubspot(mode=mode, since=datetime(2000, 1, 1, tzinfo=UTC))

    assert summary.order_source == ("bulk" if mode == "full" else "pages")

    assert (summary.invalid_orders, summary.held_customers) == (1, 1)
    assert summary.written == len(other_drifted) and summary.failed == 0
    assert _drifted_customers(world) == {customer_id}
    after = _portal(world)
    assert {contact_id: after[contact_id] for contact_id in held_contacts} == held_contacts
    ledger = Ledger(database(get_settings().sqlalchemy_url))
    assert order_id not in {record.order_id for record in ledger.orders_for_customers([customer_id])}
    assert summary.report_dir is not None
    listed = pl.read_csv(Path(summary.report_dir) / "invalid_orders.csv")
    assert listed.select("order_id", "customer_id", "field").rows() == [
        (order_id, customer_id, "currentTotalPriceSet.shopMoney.amount")
    ]
    # The sandbox serves the amount as Shopify's Decimal scalar does, without trailing zeros.
    assert "must be a non-negative decimal, got '-5.0" in listed["reason"][0]
    report = _latest_artifact("drift-report")
    assert "## Invalid orders: 1 refused, 1 customers not corrected" in report
    assert f"| {order_id} | {customer_id} | `currentTotalPriceSet.shopMoney.amount` |" in report
    assert "no correction this run" in report
