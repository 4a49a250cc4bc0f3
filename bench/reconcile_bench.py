"""Benchmark 4: the nightly reconciliation end to end against the sandbox, 20,000 drifted contacts.

The sandbox HubSpot portal starts with one correct contact per customer of a seeded store, 20,000 of them
drifted (`bench.drifted_portal`), at the default limits (190 requests per 10 s). The sandbox runs in its own
process (`bench.sandbox_process`), so serving HubSpot never competes with the flow for this process's GIL.
Each run resets the portal, gives shopsync a fresh database, and runs the reconcile flow once
(`mode="full"`, `force=True`: a drift this large is over the safety cap on purpose) in this process.
Compared, per run:

- HubSpot requests against the minimum: ⌈portal contacts / 100⌉ list pages plus ⌈changed / 100⌉ writes;
- wall time against the rate-limit floor: minimum requests ÷ (190 / 10 s).

Usage: `python -m bench.reconcile_bench [--quick] [--runs N] [--output DIR]`. Writes `<DIR>/reconcile.json`;
the last line printed is the key ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.common import RESULTS_DIR, Progress, write_result
from bench.drifted_portal import drifted_portal
from bench.installations import patched_environment, shopsync_environment
from bench.reconcile_report import build_report, key_ratio_line, split_requests
from bench.sandbox_process import SandboxProcess, SandboxSpec, sandbox_process
from bench.seeded_sandbox import mismatches, sharded_store
from sandbox.expected import ExpectedCustomer, expected_customers
from tasks.reconcile.steps import ReconcileSummary
from tasks.rules.config import PropertiesConfig


@dataclass(frozen=True)
class Sizes:
    """How many contacts drift, and the store: `shards` seeded stores of `customers` x `orders` each."""

    drifted: int
    shards: int
    customers: int
    orders: int


# 8 x 5,000 x 5,000 gives 20,351 customers with a qualifying order (seed 7).
FULL = Sizes(drifted=20_000, shards=8, customers=5_000, orders=5_000)
QUICK = Sizes(drifted=12, shards=2, customers=15, orders=30)


def run_bench(sizes: Sizes, runs: int, workdir: Path, seed: int = 7) -> dict[str, Any]:
    """Seed the drifted portal, reconcile it `runs` times (reset in between) and build `reconcile.json`."""
    data = sharded_store(seed, sizes.shards, sizes.customers, sizes.orders)
    expected = expected_customers(data.orders)
    portal = drifted_portal(expected, sizes.drifted)
    seeded = replace(data, hubspot_contacts=portal.contacts)
    measured = []
    progress = Progress("reconcile")
    with sandbox_process(SandboxSpec(seeded), workdir / "sandbox") as sandbox:
        _start_prefect(sandbox, workdir)
        for run in range(runs):
            result = _reconcile_once(sandbox, expected, workdir / f"run-{run}")
            measured.append(result)
            progress(f"run {run + 1}/{runs}: {result['wall_seconds']:.1f} s, {result['requests']} requests")
    return build_report(
        measured,
        sizes=asdict(sizes),
        store={"customers": len(data.customers), "orders": len(data.orders), "attributed": len(expected)},
        portal_contacts=len(portal.contacts),
        drifted=len(portal.drifted_customers),
        ten_second_limit=sandbox.ten_second_limit,
    )


def _start_prefect(sandbox: SandboxProcess, workdir: Path) -> None:
    """Bring up the Prefect API before any timing (an ephemeral server takes seconds to start)."""
    from prefect.client.orchestration import get_client

    with patched_environment(shopsync_environment(sandbox, workdir / "warmup")):
        with get_client(sync_client=True) as client:
            client.hello()


def _reconcile_once(
    sandbox: SandboxProcess, expected: dict[int, ExpectedCustomer], workdir: Path
) -> dict[str, Any]:
    """Reset the portal, run the flow once with a fresh database, and read the counters and the outcome."""
    from flows.reconcile import reconcile_shopify_hubspot

    sandbox.reset_hubspot()
    with patched_environment(shopsync_environment(sandbox, workdir)):
        started = time.perf_counter()
        state = reconcile_shopify_hubspot(mode="full", force=True, return_state=True)
        wall = time.perf_counter() - started
        summary: ReconcileSummary = state.result()
    counters = sandbox.counters()
    contacts = sandbox.contacts_by_customer(PropertiesConfig().customer_id)
    return {
        "wall_seconds": round(wall, 3),
        "stage_seconds": stage_seconds(state.state_details.flow_run_id),
        "summary": summary.model_dump(mode="json", include=_SUMMARY_FIELDS),
        "requests": counters["served"],
        "requests_by_kind": split_requests(counters["per_endpoint"]),
        "per_endpoint": counters["per_endpoint"],
        "rate_limited_429": counters["rate_limited_total"],
        "max_in_ten_seconds": counters["max_in_ten_seconds"],
        "contacts_wrong_after": len(mismatches(expected, contacts)),
    }


def stage_seconds(flow_run_id: UUID | None) -> dict[str, float]:
    """Seconds spent in each task of the flow run, summed per task name (from Prefect's task runs)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    if flow_run_id is None:
        return {}
    runs_of = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=runs_of)
    stages: dict[str, float] = {}
    for task_run in task_runs:
        # Task run names are "<task>-<suffix>".
        name = task_run.name.rsplit("-", 1)[0]
        stages[name] = round(stages.get(name, 0.0) + task_run.total_run_time.total_seconds(), 3)
    return stages


_SUMMARY_FIELDS = {
    "mode",
    "order_source",
    "orders_seen",
    "customers_checked",
    "contacts_read",
    "creates",
    "adoptions",
    "updates",
    "orphans",
    "duplicates",
    "unchanged",
    "corrections",
    "written",
    "failed",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write `reconcile.json`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.reconcile_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a few drifted contacts (smoke test)")
    parser.add_argument("--runs", type=int, default=3, help="runs (the figures are medians over them)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for reconcile.json")
    args = parser.parse_args(argv)
    if args.runs < 3 and not args.quick:
        parser.error("--runs must be at least 3: the figures are medians (only --quick may run fewer)")
    with tempfile.TemporaryDirectory(prefix="shopsync-reconcile-bench-") as workdir:
        payload = run_bench(QUICK if args.quick else FULL, args.runs, Path(workdir))
    path = write_result("reconcile", {"run_mode": "quick" if args.quick else "full", **payload}, args.output)
    for row in payload["table"]:
        print(f"{row['figure']}: {row['value']} (baseline {row['baseline']}, ratio {row['ratio']})")
    print(f"results: {path}")
    print(key_ratio_line(payload))
    return 0 if payload["all_contacts_right"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
