"""One full reconciliation of a scale-curve store, stage by stage, in a fresh interpreter.

`python -m bench.scale_worker DATA_DIR` runs, against the sandbox process named by the environment (as
`bench.installations.shopsync_environment` sets it), what the nightly flow's tasks run in full mode, with
the same step functions and in the same shape — the contact listing on a thread while Shopify exports and
the ledger loads — and prints one `Measurement` JSON line: wall seconds per stage and the peak RSS of each.

Prefect is left out on purpose: the reconcile benchmark measures the flow itself; here every second and
byte belongs to a stage of shopsync's own code (or to the APIs it waits for).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import polars as pl

from bench.common import Measurement, peak_rss_bytes, reset_peak_rss
from tasks.contacts.leased import LeaseHolder
from tasks.reconcile.contact_pull import ContactSnapshot, pull_contacts
from tasks.reconcile.corrections import FAILED
from tasks.reconcile.drift_report import write_report_files
from tasks.reconcile.leased_writes import CorrectionWriter, write_corrections, write_source
from tasks.reconcile.pull import pull_orders
from tasks.reconcile.steps import check_drift_cap, expected_all, plan_reconciliation, summarize
from tasks.rules.frames import EXPECTED_SCHEMA
from tasks.runtime import Runtime, open_runtime
from tasks.shopify.models import OrderRecord
from tasks.store.ledger import Ledger

T = TypeVar("T")
# Stages in the order they finish; "contacts" runs beside export, parse and ledger.
STAGES = ("export", "parse", "ledger", "contacts", "expected", "diff", "writes", "report")
_EXPORT_METHODS = ("run_bulk_orders_export", "poll_bulk_operation", "download_bulk_result")


@dataclass
class StageClock:
    """Wall seconds per stage, and the peak RSS reached while each ran (reset at its start)."""

    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, int] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name` and record the peak RSS reached inside it."""
        reset_peak_rss()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)
            self.peak_rss[name] = peak_rss_bytes()

    def timed(self, stage: str, call: Callable[..., T]) -> Callable[..., T]:
        """`call`, adding the time each call takes to `stage`."""

        def wrapper(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.add(stage, time.perf_counter() - started)

        return wrapper


class TimedLedger:
    """The ledger, with the time spent in upserts counted as the "ledger" stage."""

    def __init__(self, ledger: Ledger, clock: StageClock) -> None:
        self._ledger = ledger
        self.upsert = clock.timed("ledger", self._upsert)
        self.get_watermark = ledger.get_watermark
        self.set_watermark = ledger.set_watermark

    def _upsert(self, records: Iterable[OrderRecord]) -> list[int]:
        return self._ledger.upsert(records)


def reconcile_stages(runtime: Runtime, workdir: Path) -> tuple[StageClock, dict[str, Any]]:
    """A full reconciliation (force, no dry run) through the flow's steps, timed per stage."""
    clock, config = StageClock(), runtime.config
    for name in _EXPORT_METHODS:
        setattr(runtime.shopify, name, clock.timed("export", getattr(runtime.shopify, name)))
    with ThreadPoolExecutor(max_workers=1) as listing_thread:
        listing = listing_thread.submit(_list_contacts, runtime, clock)
        with clock.stage("pull"):
            pull = pull_orders(
                runtime.shopify,
                TimedLedger(runtime.ledger, clock),
                "full",
                None,
                timedelta(0),
                shop_timezone=ZoneInfo(runtime.settings.shopify_shop_timezone),
                workdir=workdir / "bulk",
                sleep=clock.timed("export", time.sleep),
            )
        with clock.stage("expected"):
            state = expected_all(runtime.ledger, config, runtime.leases.sequence())
        snapshot = listing.result()
    with clock.stage("diff"):
        plan = plan_reconciliation(state, snapshot, pull, config)
        cap = check_drift_cap(plan.diff, config.reconcile.max_drift_share, force=True)
    with clock.stage("writes"):
        # The same leased write phase as the flow's (tasks/reconcile/tasks.py), so its cost is measured too.
        writer = CorrectionWriter(
            hubspot=runtime.hubspot,
            ledger=runtime.ledger,
            leases=runtime.leases,
            holder=LeaseHolder("scale-bench", 2 * runtime.settings.claim_lease_seconds),
            config=config,
            batch_size=100,
            source=write_source(pull, None),
        )
        written = write_corrections(writer, plan, state, snapshot, pull)
        corrections = written.corrections
    with clock.stage("report"):
        summary = summarize(pull, plan, corrections, cap, dry_run=False, rechecked=written.rechecked)
        write_report_files(corrections, workdir / "report")
    # The pull's own time, less the export's waits and the ledger's writes, is reading the JSONL file.
    pull_seconds = clock.seconds.pop("pull")
    clock.add("parse", pull_seconds - clock.seconds["export"] - clock.seconds["ledger"])
    for stage in ("export", "parse", "ledger"):
        clock.peak_rss[stage] = clock.peak_rss["pull"]
    del clock.peak_rss["pull"]
    counts = summary.model_dump(mode="json", include={"orders_seen", "contacts_read", "updates", "written"})
    return clock, {
        **counts,
        "failed": corrections.filter(pl.col("status") == FAILED).height,
        "order_source": pull.source,
    }


def _list_contacts(runtime: Runtime, clock: StageClock) -> ContactSnapshot:
    started = time.perf_counter()
    try:
        return pull_contacts(runtime.hubspot, runtime.config, "full", EXPECTED_SCHEMA.to_frame())
    finally:
        clock.add("contacts", time.perf_counter() - started)


def main(workdir: Path) -> None:
    """Run once and print the Measurement line (seconds = the whole run)."""
    loaded = peak_rss_bytes()
    started = time.perf_counter()
    with open_runtime() as runtime:
        clock, counts = reconcile_stages(runtime, workdir)
    seconds = time.perf_counter() - started
    details = {
        "stage_seconds": {stage: round(clock.seconds.get(stage, 0.0), 3) for stage in STAGES},
        "stage_peak_rss_bytes": clock.peak_rss,
        "counts": counts,
    }
    print(Measurement(seconds, seconds, max(clock.peak_rss.values()), loaded, details).to_json())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
