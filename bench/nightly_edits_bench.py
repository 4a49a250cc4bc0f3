"""Benchmark 5: orders change while the nightly runs on a 10,000-order store; is every contact right after?

The sandbox store has 10,000 orders; HubSpot starts with one contact per customer, 2,000 of them drifted, so
the nightly (`mode="full"`, in this process) lists every contact and writes 20 batches. Each HubSpot batch
write takes 0.3 s (a sandbox latency fault: the sandbox answers in milliseconds, the real API in hundreds
of them), which spreads the nightly's writes over about 6 s as on a real portal. Once the nightly has
pulled the orders (its progress artifact passes 30 %: the ledger snapshot, the plan and the writes come
next, the window issue 16 is about), 50 customers change in Shopify, one every 0.1 s: a partial refund, a
cancellation or a new paid order in turn, four in five of them customers the nightly is about to correct.
Each change reaches shopsync as a signed webhook through the receiver, and the real-time sync flow runs in
a loop beside the nightly (`bench.installations.in_process`). Once the nightly has finished and the inbox
is drained, every contact is compared with the oracle over Shopify's orders as they are then: no second
nightly runs.

Usage: `python -m bench.nightly_edits_bench [--quick] [--output DIR]`. Writes `<DIR>/nightly_edits.json`;
the last line printed is the key figure (contacts wrong after, goal 0).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.burst_traffic import wait_until_drained
from bench.common import RESULTS_DIR, write_result
from bench.drifted_portal import drifted_portal
from bench.installations import WEBHOOK_SECRET, Installation, in_process, shopsync_environment
from bench.seeded_sandbox import BenchSandbox, mismatches, serving_sandbox, sharded_store
from sandbox.expected import expected_customers
from sandbox.shopify.sender import WebhookSender, build_delivery
from tasks.reconcile.tasks import PROGRESS_KEY
from tasks.rules.config import PropertiesConfig

EDIT_KINDS = ("refund", "cancel", "new order")
# The nightly's progress after its order pull (`flows/reconcile.py`).
_ORDERS_PULLED = 30
_SLOW_WRITES = {"paths": r"/contacts/batch/(update|create)$", "latency_seconds": 0.3}


@dataclass(frozen=True)
class Sizes:
    """The store (`shards` x `customers` x `orders`), the drifted contacts and the edits."""

    shards: int
    customers: int
    orders: int
    drifted: int
    edits: int
    edit_interval: float


FULL = Sizes(shards=2, customers=2_500, orders=5_000, drifted=2_000, edits=50, edit_interval=0.1)
QUICK = Sizes(shards=1, customers=20, orders=60, drifted=6, edits=4, edit_interval=0.05)


def run_bench(sizes: Sizes, workdir: Path, seed: int = 7) -> dict[str, Any]:
    """Seed, run the nightly with edits arriving meanwhile, drain, and compare every contact."""
    data = sharded_store(seed, sizes.shards, sizes.customers, sizes.orders)
    portal = drifted_portal(expected_customers(data.orders), sizes.drifted)
    edited = _edited_customers(data.orders, portal.drifted_customers, sizes.edits)
    with serving_sandbox(replace(data, hubspot_contacts=portal.contacts)) as sandbox:
        faults = f"{sandbox.endpoints.hubspot_base_url}/_sandbox/faults"
        httpx.put(faults, json=_SLOW_WRITES, timeout=30).raise_for_status()
        environment = shopsync_environment(sandbox.endpoints, workdir)
        (workdir / "shopsync.toml").write_text("[reconcile]\nmax_drift_share = 1.0\n")
        with in_process(environment) as installation:
            run = _nightly_with_edits(sandbox, installation, edited, sizes)
            drained = wait_until_drained(installation.inbox(), timeout=300)
        expected = expected_customers(sandbox.endpoints.shopify_store.orders())
        wrong = mismatches(expected, sandbox.contacts_by_customer(PropertiesConfig().customer_id))
    wrong_edited = sorted(set(wrong) & set(edited))
    result = {
        "mode": "reconcile flow (mode=full) in this process, HubSpot batch writes 0.3 s; receiver + sync "
        "flow loop in threads beside it",
        "sizes": asdict(sizes),
        "store": {"orders": len(data.orders), "customers": len(data.customers)},
        "portal_contacts": len(portal.contacts),
        **run,
        "inbox_after": drained,
        "drain_errors": installation.drain_errors,
        "contacts_wrong_after": len(wrong),
        "edited_contacts_wrong_after": len(wrong_edited),
        "wrong_examples": wrong[:5],
    }
    return {**result, "table": _table(result), "all_contacts_right": not wrong}


def _edited_customers(orders: Sequence[dict[str, Any]], drifted: Sequence[int], count: int) -> list[int]:
    """Customers with an order worth refunding; four in five of them among those the nightly corrects."""
    editable = sorted({int(o["customer"]["id"]) for o in orders if _refundable(o)})
    planned = [c for c in editable if c in set(drifted)]
    others = [c for c in editable if c not in set(drifted)]
    from_plan = min(len(planned), count - count // 5)
    return planned[:from_plan] + others[: count - from_plan]


def _refundable(order: dict[str, Any]) -> bool:
    return (
        order.get("customer") is not None
        and order["financial_status"] == "paid"
        and not order["test"]
        and order["cancelled_at"] is None
        and Decimal(order["current_total_price"]) > Decimal("5.00")
    )


def _nightly_with_edits(
    sandbox: BenchSandbox, installation: Installation, edited: list[int], sizes: Sizes
) -> dict[str, Any]:
    """Start the nightly, make one edit every `edit_interval` s while it runs, and time both."""
    from flows.reconcile import reconcile_shopify_hubspot

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nightly") as pool:
        started = time.perf_counter()
        run_name = f"nightly-edits-{uuid.uuid4()}"
        named = reconcile_shopify_hubspot.with_options(flow_run_name=run_name)
        nightly = pool.submit(named, mode="full", force=True)
        nightly.add_done_callback(lambda _: stop.set())
        _wait_for_order_pull(run_name, stop)
        pulled = time.perf_counter() - started
        edits = _edit_while(sandbox, installation, edited, sizes.edit_interval, stop)
        summary = nightly.result()
        wall = time.perf_counter() - started
    during = sum(1 for edit in edits if pulled + edit["seconds"] <= wall)
    return {
        "nightly_seconds": round(wall, 2),
        "edits_started_after_seconds": round(pulled, 2),
        "nightly_summary": summary.model_dump(
            mode="json",
            include={"customers_checked", "corrections", "written", "failed", "recomputed", "rechecked"},
        ),
        "edits": len(edits),
        "edits_during_nightly": during,
        "edits_by_kind": {kind: sum(1 for e in edits if e["kind"] == kind) for kind in EDIT_KINDS},
    }


def _wait_for_order_pull(run_name: str, nightly_done: threading.Event) -> None:
    """Wait until the nightly's progress artifact reaches 30 % (its orders are in the ledger)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterName,
    )

    named = FlowRunFilter(name=FlowRunFilterName(any_=[run_name]))
    while not nightly_done.wait(0.1):
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=named)
            if not runs:
                continue
            progress = ArtifactFilter(
                key=ArtifactFilterKey(any_=[PROGRESS_KEY]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[runs[0].id]),
            )
            artifacts = client.read_artifacts(artifact_filter=progress)
        # A progress artifact's data is its percentage, as text.
        if any(float(str(artifact.data)) >= _ORDERS_PULLED for artifact in artifacts):
            return


def _edit_while(
    sandbox: BenchSandbox,
    installation: Installation,
    customers: list[int],
    interval: float,
    stop: threading.Event,
) -> list[dict[str, Any]]:
    """Change one customer per `interval` s and deliver its webhook, until all are done (or, for those
    not started yet, the nightly has ended)."""
    store = sandbox.endpoints.shopify_store
    shop = sandbox.endpoints.seed.shop.domain
    started, edits = time.perf_counter(), []
    with httpx.Client(timeout=30) as http:
        sender = WebhookSender(http, installation.receiver_url, WEBHOOK_SECRET, shop, time_scale=0.0)
        for index, customer_id in enumerate(customers):
            if stop.wait(interval):
                break
            kind = EDIT_KINDS[index % len(EDIT_KINDS)]
            topic, order = _EDITS[kind](store, customer_id)
            status = sender.deliver(topic, build_delivery(topic, order, shop_domain=shop)).status
            edits.append({"kind": kind, "seconds": time.perf_counter() - started, "status": status})
    return edits


def _refund(store: Any, customer_id: int) -> tuple[str, dict[str, Any]]:
    order = next(o for o in store.customer_orders(customer_id) if _refundable(o))
    store.refund_order(order["id"], Decimal("5.00"), datetime.now(UTC))
    return "refunds/create", store.get_order(order["id"])


def _cancel(store: Any, customer_id: int) -> tuple[str, dict[str, Any]]:
    order = next(o for o in store.customer_orders(customer_id) if _refundable(o))
    return "orders/cancelled", store.cancel_order(order["id"], datetime.now(UTC))


def _new_order(store: Any, customer_id: int) -> tuple[str, dict[str, Any]]:
    return "orders/paid", store.place_order(customer_id, datetime.now(UTC))


_EDITS: dict[str, Callable[[Any, int], tuple[str, dict[str, Any]]]] = {
    "refund": _refund,
    "cancel": _cancel,
    "new order": _new_order,
}


def _table(result: dict[str, Any]) -> list[dict[str, Any]]:
    orders = result["store"]["orders"]
    return [
        {
            "figure": f"nightly edits ({orders} orders, {result['edits_during_nightly']} edits during the "
            "nightly): contacts wrong after, no second nightly",
            "value": f"{result['contacts_wrong_after']} ({result['edited_contacts_wrong_after']} edited)",
            "baseline": f"{result['edits']} edited customers",
            "ratio": None,
            "goal": "0",
            "met": result["contacts_wrong_after"] == 0,
        },
        {
            "figure": "nightly edits: nightly wall time, customers recomputed / rechecked under lease",
            "value": f"{result['nightly_seconds']} s",
            "baseline": f"{result['nightly_summary'].get('recomputed', '?')} / "
            f"{result['nightly_summary'].get('rechecked', '?')}",
            "ratio": None,
            "goal": "report",
            "met": None,
        },
    ]


def key_ratio_line(payload: Mapping[str, Any]) -> str:
    """The benchmark's last printed line."""
    return (
        f"contacts wrong after the nightly: {payload['contacts_wrong_after']} "
        f"({payload['edited_contacts_wrong_after']} of {payload['edits']} edited; "
        f"{payload['edits_during_nightly']} edits during the {payload['nightly_seconds']} s nightly); goal 0"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write `nightly_edits.json`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.nightly_edits_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a tiny store (smoke test)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for nightly_edits.json")
    args = parser.parse_args(argv)
    from prefect.testing.utilities import prefect_test_harness

    # A Prefect server of its own (own database): the shared ephemeral one is busy with other processes.
    with tempfile.TemporaryDirectory(prefix="shopsync-nightly-edits-") as workdir:
        with prefect_test_harness(server_startup_timeout=120):
            payload = run_bench(QUICK if args.quick else FULL, Path(workdir))
    payload = {"run_mode": "quick" if args.quick else "full", "runs": 1, **payload}
    path = write_result("nightly_edits", payload, args.output)
    print(f"results: {path}")
    print(key_ratio_line(payload))
    return 0 if payload["all_contacts_right"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
