"""Benchmark: the nightly reconciliation compute (rules + aggregates + diff) on synthetic data.

Compared, in the same run, against two baselines:
- the floor: a bare Polars `group_by(customer_id).agg(sum, count, min, max)`, one join to the contacts and one
  comparison, no rules: what any Polars version of this job must at least spend;
- per-row Python (`bench.python_baseline`): the same logic with dicts and loops, at a tenth of the size and
  scaled linearly, and checked to give exactly our answer.

Usage: `python -m bench.diff_bench [--quick] [--runs N] [--output DIR]`. Writes `<DIR>/diff.json`
(default `bench/results/`); the last line printed is the key ratio.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from bench.common import RESULTS_DIR, Measurement, Progress, peak_rss_bytes, run_isolated, timed, write_result
from bench.diff_report import Variant, build_report, key_ratio_line, summary_lines
from bench.outcome import outcome_of
from bench.python_baseline import reconcile
from bench.synthetic import SyntheticData, generate
from tasks.contacts.diff import ContactDiff, diff_contacts
from tasks.rules.aggregates import customer_aggregates
from tasks.rules.config import ShopsyncConfig

CONFIG = ShopsyncConfig()
_MODULE = "bench.diff_bench"


@dataclass(frozen=True)
class Sizes:
    """Orders × contacts for the Polars variants, and the smaller size per-row Python runs at."""

    orders: int
    contacts: int
    baseline_orders: int
    baseline_contacts: int


FULL = Sizes(orders=1_000_000, contacts=250_000, baseline_orders=100_000, baseline_contacts=25_000)
QUICK = Sizes(orders=20_000, contacts=5_000, baseline_orders=5_000, baseline_contacts=1_250)
# (variant, which data set): ours is also run at the baseline size, to check it equals per-row Python.
PLAN: list[tuple[Variant, str]] = [
    ("ours", "large"),
    ("floor", "large"),
    ("ours", "baseline"),
    ("python", "baseline"),
]


def reconcile_frames(
    orders: pl.DataFrame,
    contacts: pl.DataFrame,
    config: ShopsyncConfig = CONFIG,
    stages: dict[str, float] | None = None,
) -> ContactDiff:
    """Our reconciliation compute, as the nightly flow runs it; `stages` receives per-step seconds."""
    aggregate_seconds, expected = timed(lambda: customer_aggregates(orders, config.rules, config.mapping))
    diff_seconds, diff = timed(
        lambda: diff_contacts(
            expected, contacts, orphan_policy=config.reconcile.orphan_policy, properties=config.properties
        )
    )
    if stages is not None:
        stages.update(rules_and_aggregates=aggregate_seconds, diff=diff_seconds)
    return diff


def floor(orders: pl.DataFrame, contacts: pl.DataFrame) -> int:
    """The least a Polars reconciliation does: aggregate, join, compare, no rules; returns the drift count."""
    per_customer = orders.group_by("customer_id").agg(
        pl.col("current_total").sum().alias("total"),
        pl.len().alias("count"),
        pl.col("processed_date").min().alias("first"),
        pl.col("processed_date").max().alias("last"),
    )
    joined = contacts.join(per_customer, left_on="shopify_customer_id", right_on="customer_id", how="inner")
    return joined.filter(pl.col("total") != pl.col("total_spent")).height


def measure(variant: Variant, orders: pl.DataFrame, contacts: pl.DataFrame) -> Measurement:
    """Run one variant twice in this process and report the faster time, the first, peak RSS and details."""
    details: dict[str, Any] = {}
    work = _work(variant, orders, contacts, details)
    loaded = peak_rss_bytes()
    cold_seconds, result = timed(work)
    # Drop the first result before the second run so it can't raise the peak.
    del result
    warm_seconds, result = timed(work)
    peak = peak_rss_bytes()
    if variant == "ours":
        outcome = outcome_of(result)
        details.update(digest=outcome.digest(), counts=outcome.counts())
    elif variant == "python":
        details.update(digest=result.digest(), counts=result.counts())
    else:
        details.update(drifted_totals=result)
    # The faster run: Polars is slower cold (fresh allocator pages), per-row Python warm (a fuller GC heap).
    return Measurement(min(cold_seconds, warm_seconds), cold_seconds, peak, loaded, details)


def _work(
    variant: Variant, orders: pl.DataFrame, contacts: pl.DataFrame, details: dict[str, Any]
) -> Callable[[], Any]:
    """The measured call; per-row Python gets its input as dicts, converted here, outside the timing."""
    if variant == "ours":
        stages: dict[str, float] = {}
        details["stages_seconds"] = stages
        return lambda: reconcile_frames(orders, contacts, stages=stages)
    if variant == "floor":
        return lambda: floor(orders, contacts)
    order_rows, contact_rows = orders.to_dicts(), contacts.to_dicts()
    return lambda: reconcile(
        order_rows, contact_rows, CONFIG.rules, orphan_policy=CONFIG.reconcile.orphan_policy
    )


def run_bench(sizes: Sizes, runs: int, *, isolated: bool) -> dict[str, Any]:
    """Generate the data, measure every variant `runs` times (interleaved), and build the report payload.

    Args:
        sizes: The data sizes.
        runs: Runs per variant (the medians are over these).
        isolated: Each run in a fresh interpreter (true peak RSS per run) rather than in this process.

    Returns:
        The payload of `diff.json` (without machine facts and timestamp).
    """
    data = {
        "large": generate(sizes.orders, sizes.contacts),
        "baseline": generate(sizes.baseline_orders, sizes.baseline_contacts),
    }
    describe = {name: _describe(synthetic) for name, synthetic in data.items()}
    with tempfile.TemporaryDirectory(prefix="shopsync-bench-") as scratch:
        measure_one = _isolated_runner(data, Path(scratch)) if isolated else _in_process_runner(data)
        del data
        results: dict[tuple[Variant, str], list[Measurement]] = {step: [] for step in PLAN}
        # Interleaved, so a noisy neighbour slows every variant alike instead of one of them.
        progress = Progress("diff")
        for run in range(runs):
            for variant, dataset in PLAN:
                measured = measure_one(variant, dataset)
                results[(variant, dataset)].append(measured)
                progress(f"run {run + 1}/{runs}, {variant} on the {dataset} data: {measured.seconds:.3f} s")
    scale = sizes.orders / sizes.baseline_orders
    return build_report(results, describe, scale=scale, sizes=sizes.__dict__, isolated=isolated)


def _isolated_runner(data: dict[str, SyntheticData], scratch: Path) -> Callable[[Variant, str], Measurement]:
    for name, synthetic in data.items():
        for kind, frame in (("orders", synthetic.orders), ("contacts", synthetic.contacts)):
            # One row group reads back as one chunk, as the flow's frames are, without a rechunk copy.
            frame.write_parquet(scratch / f"{name}-{kind}.parquet", row_group_size=max(1, frame.height))

    def measure_one(variant: Variant, dataset: str) -> Measurement:
        files = [str(scratch / f"{dataset}-{kind}.parquet") for kind in ("orders", "contacts")]
        return run_isolated(_MODULE, ["--worker", variant, *files])

    return measure_one


def _in_process_runner(data: dict[str, SyntheticData]) -> Callable[[Variant, str], Measurement]:
    def measure_one(variant: Variant, dataset: str) -> Measurement:
        return measure(variant, data[dataset].orders, data[dataset].contacts)

    return measure_one


def _describe(data: SyntheticData) -> dict[str, Any]:
    """The realised shares of the generated data, so the report says what was measured."""
    orders = data.orders.select(
        pl.len().alias("orders"),
        pl.col("test").mean().round(4).alias("test_share"),
        pl.col("cancelled").mean().round(4).alias("cancelled_share"),
        pl.col("financial_status")
        .is_in(["refunded", "partially_refunded"])
        .mean()
        .round(4)
        .alias("refunded_share"),
        pl.col("customer_id").is_null().mean().round(4).alias("without_customer_share"),
        pl.col("customer_id").drop_nulls().n_unique().alias("customers_with_orders"),
    ).row(0, named=True)
    contacts = data.contacts.select(
        pl.len().alias("contacts"),
        pl.col("shopify_customer_id").is_not_null().sum().alias("with_shopify_id"),
    ).row(0, named=True)
    return {**orders, **contacts}


def _worker(variant: Variant, orders_path: str, contacts_path: str) -> None:
    """Child side of `run_isolated`: load the frames, measure, print one JSON line."""
    orders = pl.read_parquet(orders_path)
    contacts = pl.read_parquet(contacts_path)
    print(measure(variant, orders, contacts).to_json())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with `--worker`, one isolated measurement) and write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.diff_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, in process (smoke test)")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median over them)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for diff.json")
    parser.add_argument(
        "--worker", nargs=3, metavar=("VARIANT", "ORDERS", "CONTACTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        _worker(*args.worker)
        return 0
    if args.runs < 3:
        parser.error("--runs must be at least 3: the figures are medians")
    payload = run_bench(QUICK if args.quick else FULL, args.runs, isolated=not args.quick)
    path = write_result("diff", {"mode": "quick" if args.quick else "full", **payload}, args.output)
    for line in summary_lines(payload):
        print(line)
    print(f"results: {path}")
    print(key_ratio_line(payload))
    return 0 if payload["results_match"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
