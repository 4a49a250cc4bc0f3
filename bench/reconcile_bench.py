"""Benchmark 4: the nightly reconciliation end to end against the sandbox, 20,000 drifted contacts.

The sandbox HubSpot portal starts with one correct contact per customer of a seeded store, 20,000 of them
drifted (`bench.drifted_portal`), at the default limits (190 requests per 10 s). Each run resets the portal,
gives shopsync a fresh database, and runs the reconcile flow once (`mode="full"`, `force=True`: a drift this
large is over the safety cap on purpose) in this process. Compared, per run:

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

import httpx

from bench.common import RESULTS_DIR, write_result
from bench.drifted_portal import drifted_portal
from bench.installations import patched_environment, shopsync_environment
from bench.reconcile_report import build_report, key_ratio_line, split_requests
from bench.seeded_sandbox import BenchSandbox, mismatches, serving_sandbox
from sandbox.expected import ExpectedCustomer, expected_customers
from sandbox.seed import generate_store
from tasks.config import PropertiesConfig


@dataclass(frozen=True)
class Sizes:
    """The seeded store and how many of its contacts drift."""

    drifted: int
    customers: int
    orders: int


FULL = Sizes(drifted=20_000, customers=24_000, orders=30_000)
QUICK = Sizes(drifted=12, customers=30, orders=60)


def run_bench(sizes: Sizes, runs: int, workdir: Path, seed: int = 7) -> dict[str, Any]:
    """Seed the drifted portal, reconcile it `runs` times (reset in between) and build `reconcile.json`."""
    data = generate_store(seed=seed, customers=sizes.customers, orders=sizes.orders)
    expected = expected_customers(data.orders)
    portal = drifted_portal(expected, sizes.drifted)
    seeded = replace(data, hubspot_contacts=portal.contacts)
    measured = []
    with serving_sandbox(seeded) as sandbox:
        _start_prefect(sandbox, workdir)
        for run in range(runs):
            measured.append(_reconcile_once(sandbox, expected, workdir / f"run-{run}"))
    return build_report(
        measured,
        sizes=asdict(sizes),
        store={"customers": len(data.customers), "orders": len(data.orders), "attributed": len(expected)},
        portal_contacts=len(portal.contacts),
        drifted=len(portal.drifted_customers),
        ten_second_limit=sandbox.endpoints.hubspot_config.ten_second_limit,
    )


def _start_prefect(sandbox: BenchSandbox, workdir: Path) -> None:
    """Bring up the Prefect API before any timing (an ephemeral server takes seconds to start)."""
    from prefect.client.orchestration import get_client

    with patched_environment(shopsync_environment(sandbox.endpoints, workdir / "warmup")):
        with get_client(sync_client=True) as client:
            client.hello()


def _reconcile_once(
    sandbox: BenchSandbox, expected: dict[int, ExpectedCustomer], workdir: Path
) -> dict[str, Any]:
    """Reset the portal, run the flow once with a fresh database, and read the counters and the outcome."""
    from flows.reconcile import reconcile_shopify_hubspot

    httpx.post(f"{sandbox.endpoints.hubspot_base_url}/_sandbox/reset", timeout=120).raise_for_status()
    with patched_environment(shopsync_environment(sandbox.endpoints, workdir)):
        started = time.perf_counter()
        summary = reconcile_shopify_hubspot(mode="full", force=True)
        wall = time.perf_counter() - started
    counters = sandbox.counters()
    contacts = sandbox.contacts_by_customer(PropertiesConfig().customer_id)
    return {
        "wall_seconds": round(wall, 3),
        "summary": summary.model_dump(mode="json", include=_SUMMARY_FIELDS),
        "requests": counters["served"],
        "requests_by_kind": split_requests(counters["per_endpoint"]),
        "per_endpoint": counters["per_endpoint"],
        "rate_limited_429": counters["rate_limited_total"],
        "max_in_ten_seconds": counters["max_in_ten_seconds"],
        "contacts_wrong_after": len(mismatches(expected, contacts)),
    }


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
