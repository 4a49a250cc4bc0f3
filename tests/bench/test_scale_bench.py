"""The scale curve's pieces at smoke-test size: the generated export, one staged run, the slopes."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from polars.testing import assert_frame_equal

from bench.installations import patched_environment, shopsync_environment
from bench.scale_report import log_log_slope
from bench.scale_store import generate_store, write_bulk_file
from bench.scale_worker import STAGES, reconcile_stages
from bench.seeded_sandbox import mismatches, serving_sandbox
from bench.synthetic import synthetic_orders
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import PropertiesConfig, RulesConfig
from tasks.rules.frames import orders_frame
from tasks.runtime import open_runtime
from tasks.shopify.bulk_reader import iter_bulk_orders


def test_the_generated_export_says_what_the_store_says(tmp_path: Path) -> None:
    """Read back through shopsync's bulk reader, the file gives every customer the store's aggregates."""
    store = synthetic_orders(600, 150)
    path = tmp_path / "orders.jsonl"
    write_bulk_file(store, path)

    read_back = orders_frame(iter_bulk_orders(path, ZoneInfo("America/New_York")))

    assert read_back.height == 600
    assert_frame_equal(
        customer_aggregates(read_back, RulesConfig()), customer_aggregates(store, RulesConfig())
    )


def test_one_staged_run_writes_back_exactly_the_drifted_contacts(tmp_path: Path) -> None:
    """The worker's stages export, load, diff and write: every contact ends right, each stage is timed."""
    store = generate_store(400, tmp_path / "store")
    config = ShopifySandboxConfig(bulk_result_file=store.bulk_file)
    with serving_sandbox(store.portal, shopify_config=config) as sandbox:
        with (
            patched_environment(shopsync_environment(sandbox.endpoints, tmp_path)),
            open_runtime() as runtime,
        ):
            clock, counts = reconcile_stages(runtime, tmp_path / "run")
        contacts = sandbox.contacts_by_customer(PropertiesConfig().customer_id)

    assert store.drifted > 0
    assert (counts["orders_seen"], counts["updates"], counts["failed"]) == (400, store.drifted, 0)
    assert mismatches(store.expected, contacts) == []
    assert set(clock.seconds) == set(STAGES) and all(seconds >= 0 for seconds in clock.seconds.values())
    assert set(clock.peak_rss) == set(STAGES) - {"contacts"}  # the listing runs beside the pull


@pytest.mark.parametrize(("power", "slope"), [(1.0, 1.0), (2.0, 2.0), (0.5, 0.5)])
def test_log_log_slope_tells_linear_from_quadratic(power: float, slope: float) -> None:
    """The slope is the exponent of the growth: 1 linear, 2 quadratic."""
    sizes = [10_000, 100_000, 1_000_000]
    assert log_log_slope(sizes, [3e-6 * n**power for n in sizes]) == pytest.approx(slope)
