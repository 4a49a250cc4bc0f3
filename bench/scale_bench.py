"""The scale curve: a full reconciliation of 10k, 100k and 1M-order stores, on SQLite and on PostgreSQL.

For each size a store is generated (`bench.scale_store`: customers ≈ orders / 4, 5 % of contacts drifted),
served by the sandbox in its own process (`bench.sandbox_process`: HubSpot at its default 190 requests per
10 s), and reconciled `runs` times per database by `bench.scale_worker` in a fresh interpreter each time
(fresh database, portal reset). Per run: wall time per stage, peak RSS per stage, HubSpot requests against
the minimum, and every contact checked against the values the store was generated with.

Usage: `python -m bench.scale_bench [--quick] [--runs N] [--sizes N ...] [--databases sqlite postgresql]
[--output DIR] [--plot PATH]`. Writes `<DIR>/scale.json` and the plot; the last line is the key figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, Measurement, Progress, write_result
from bench.installations import shopsync_environment
from bench.postgres_server import fresh_database, postgres_server
from bench.reconcile_report import split_requests
from bench.sandbox_process import SandboxProcess, SandboxSpec, sandbox_process
from bench.scale_plot import PLOT_PATH, plot_curve
from bench.scale_report import build_report, key_ratio_line
from bench.scale_store import ScaleStore, generate_store
from bench.seeded_sandbox import mismatches
from sandbox.hubspot.config import HubSpotSandboxConfig
from tasks.rules.config import PropertiesConfig

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (400, 2_000)
DATABASES = ("sqlite", "postgresql")
_REPO_ROOT = Path(__file__).resolve().parent.parent


def run_bench(
    sizes: Sequence[int],
    databases: Sequence[str],
    runs: int,
    workdir: Path,
    progress: Progress,
    largest_runs: int | None = None,
) -> dict[str, Any]:
    """Every (size, database) `runs` times (the largest size `largest_runs` times, when given); databases
    interleaved so the machine's noise hits both."""
    measured: dict[str, dict[int, list[dict[str, Any]]]] = {db: {} for db in databases}
    stores: dict[int, dict[str, int]] = {}
    with ExitStack() as stack:
        server = stack.enter_context(postgres_server()) if "postgresql" in databases else None
        if "postgresql" in databases and server is None:
            progress("no PostgreSQL server (initdb/pg_ctl or SHOPSYNC_BENCH_POSTGRES_URL): SQLite only")
            databases = [db for db in databases if db != "postgresql"]
            measured.pop("postgresql")
        for size in sizes:
            progress(f"{size:,} orders: generating the store")
            store = generate_store(size, workdir / "stores")
            stores[size] = _describe(store)
            progress(f"{size:,} orders: {store.customers:,} customers, {store.drifted:,} drifted contacts")
            spec = SandboxSpec(store.portal, store.bulk_file)
            repeat = largest_runs if largest_runs is not None and size == max(sizes) else runs
            with sandbox_process(spec, workdir / f"sandbox-{size}") as sandbox:
                for run in range(repeat):
                    for database in databases:
                        url = _database_url(database, server, workdir / f"run-{size}-{run}", size, run)
                        result = _run_once(sandbox, store, url, workdir / f"run-{size}-{run}-{database}")
                        measured[database].setdefault(size, []).append(result)
                        progress(f"{size:,} orders, {database}, run {run + 1}/{repeat}: {_line(result)}")
            store.bulk_file.unlink()
    return build_report(measured, stores, ten_second_limit=HubSpotSandboxConfig().ten_second_limit)


def _database_url(database: str, server: str | None, directory: Path, size: int, run: int) -> str:
    if database == "postgresql":
        assert server is not None
        return fresh_database(server, f"shopsync_scale_{size}_{run}")
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'shopsync.db'}"


def _run_once(sandbox: SandboxProcess, store: ScaleStore, database_url: str, workdir: Path) -> dict[str, Any]:
    """Reset the portal, reconcile once in a fresh interpreter, and read the counters and the outcome."""
    sandbox.reset_hubspot()
    workdir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        **shopsync_environment(sandbox, workdir),
        "SHOPSYNC_DATABASE_URL": database_url,
    }
    command = [sys.executable, "-m", "bench.scale_worker", str(workdir)]
    completed = subprocess.run(
        command, capture_output=True, text=True, cwd=_REPO_ROOT, env=environment, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    measurement = Measurement.from_json(completed.stdout.strip().splitlines()[-1])
    counters = sandbox.counters()
    contacts = sandbox.contacts_by_customer(PropertiesConfig().customer_id)
    return {
        "wall_seconds": round(measurement.seconds, 3),
        "stage_seconds": measurement.details["stage_seconds"],
        "peak_rss_bytes": measurement.peak_rss_bytes,
        "stage_peak_rss_bytes": measurement.details["stage_peak_rss_bytes"],
        "counts": measurement.details["counts"],
        "requests": counters["served"],
        "requests_by_kind": split_requests(counters["per_endpoint"]),
        "rate_limited_429": counters["rate_limited_total"],
        "contacts_wrong_after": len(mismatches(store.expected, contacts)),
    }


def _describe(store: ScaleStore) -> dict[str, int]:
    return {
        "orders": store.orders,
        "customers": store.customers,
        "portal_contacts": len(store.portal.hubspot_contacts),
        "drifted": store.drifted,
        "bulk_file_bytes": store.bulk_bytes,
    }


def _line(result: dict[str, Any]) -> str:
    stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in result["stage_seconds"].items())
    return (
        f"{result['wall_seconds']:.1f} s ({stages}); peak {result['peak_rss_bytes'] / 1e9:.2f} GB; "
        f"{result['requests']} requests; {result['contacts_wrong_after']} contacts wrong"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scale curve and write `scale.json` and the plot."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two tiny stores, one run (smoke test)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size and database (medians)")
    parser.add_argument(
        "--largest-runs",
        type=int,
        default=1,
        help="runs of the largest store (default 1: a 1M-order run takes minutes on a 2-core machine)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="order counts (default 10k 100k 1M)")
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=list(DATABASES))
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for scale.json")
    parser.add_argument("--plot", type=Path, default=PLOT_PATH, help="where the PNG goes")
    args = parser.parse_args(argv)
    if args.runs < 3 and not args.quick:
        parser.error("--runs must be at least 3: the figures are medians (only --quick may run fewer)")
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    progress = Progress("scale")
    with tempfile.TemporaryDirectory(prefix="shopsync-scale-bench-") as workdir:
        runs = 1 if args.quick else args.runs
        payload = run_bench(sizes, args.databases, runs, Path(workdir), progress, args.largest_runs)
    payload["plot"] = str(plot_curve(payload, args.plot))
    path = write_result("scale", {"run_mode": "quick" if args.quick else "full", **payload}, args.output)
    print(f"results: {path}; plot: {payload['plot']}")
    print(key_ratio_line(payload))
    return 0 if payload["all_contacts_right"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
