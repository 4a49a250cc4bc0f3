"""`make demo`: the whole story on embedded defaults, told in the terminal and visible in the Prefect UI.

A local Prefect server with its UI, the sandbox Shopify + HubSpot with a seeded store that has drift, the
receiver and the served deployments; setup, a burst of signed webhooks, the sync runs they trigger, a dry
run of the reconciliation and then the real one, and a summary with a UI link per run.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings
from rich.console import Console
from rich.table import Table

from deployments.demo.screenshots import capture_reconcile_run
from deployments.demo.stack import Stack, running_stack
from deployments.demo.story import (
    BurstResult,
    WorkflowTriggers,
    contacts_off_by,
    run_and_wait,
    run_doctor,
    send_burst,
    triggers_before,
    wait_for_inbox,
    workflow_triggers,
)
from sandbox.runner import SandboxEndpoints, describe, running_sandbox
from tasks.runtime import database
from tasks.store.inbox import Inbox

DEMO_DIR = Path(".data/demo")
# The demo store is small, so its seeded drift is a large share of it: allow up to half the contacts to be
# corrected in one run (the default cap is 20 %). The mapping shows a custom field beyond the standard sync.
DEMO_CONFIG = """\
[reconcile]
max_drift_share = 0.5

[[mapping]]
source = "order.source_name"
property = "shopify_last_order_source"
type = "string"
"""
SYNC_TIMEOUT_SECONDS = 240.0


def run_demo(
    *, no_wait: bool, seed: int, screenshots: Path | None = None, console: Console | None = None
) -> int:
    """Run the demo; returns the process exit code (0 when every check passed)."""
    console = console or Console()
    data_dir = DEMO_DIR.resolve()
    # A fresh state each time, so the demo can run twice in a row and tell the same story.
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / "shopsync.toml").write_text(DEMO_CONFIG)
    started = time.monotonic()
    with running_sandbox(seed=seed) as sandbox:
        describe(sandbox, console)
        # A Dev Dashboard app, as a store owner connects one today: client id and secret, no static token;
        # the client secret also signs and verifies the webhooks.
        env = {
            **sandbox.environment("client_credentials"),
            "SHOPSYNC_DATABASE_URL": f"sqlite:///{data_dir / 'shopsync.db'}",
            "SHOPSYNC_CONFIG": str(data_dir / "shopsync.toml"),
            # setup (the first step) creates the shared budgets every later run draws from.
            "SHOPSYNC_RATE_BUDGETS": "true",
        }
        with console.status("Starting Prefect server, deployments and receiver…"):
            stack_context = running_stack(env, data_dir)
            stack = stack_context.__enter__()
        try:
            console.print(f"[bold]Prefect UI:[/] {stack.ui_url}   receiver: {stack.receiver_url}")
            with temporary_settings({PREFECT_API_URL: stack.env["PREFECT_API_URL"]}):
                ok, reconcile_run = _tell_story(console, sandbox, stack, data_dir)
                if screenshots is not None and reconcile_run is not None:
                    with console.status("Screenshots of the reconcile run in headless Chromium…"):
                        saved = capture_reconcile_run(stack.ui_url, reconcile_run.id, screenshots)
                    console.print("Saved: " + ", ".join(str(path) for path in saved))
            console.print(f"Demo took {time.monotonic() - started:.0f} s. Logs: {data_dir / 'logs'}")
            if not no_wait:
                console.print(f"The Prefect UI stays up at {stack.ui_url} — press Ctrl-C to stop.")
                _wait_for_interrupt()
        finally:
            with console.status("Stopping…"):
                stack_context.__exit__(None, None, None)
    return 0 if ok else 1


def _tell_story(
    console: Console, sandbox: SandboxEndpoints, stack: Stack, data_dir: Path
) -> tuple[bool, FlowRun | None]:
    runs: list[tuple[str, FlowRun]] = []
    with console.status("setup: tables, HubSpot properties, webhook subscriptions, shared API budgets…"):
        setup_run = run_and_wait("setup-shopsync/setup", {"receiver_url": stack.receiver_url})
        runs.append(("setup", setup_run))
    subscriptions = sandbox.shopify_store.webhook_subscriptions
    subscribed = sorted({s["uri"] for s in subscriptions})
    console.print(f"Setup subscribed {len(subscriptions)} topics to {', '.join(subscribed)}.")
    with console.status("shopsync doctor…"):
        doctor_passed, doctor_report = run_doctor(stack.env, stack.receiver_url)
    console.print(doctor_report, markup=False, highlight=False)
    drift_before, customers = contacts_off_by(sandbox)
    console.print(f"Before: {drift_before} of {customers} customers' contacts disagree with Shopify.")
    triggers_at_start = triggers_before(sandbox)

    with console.status("Shopify delivers orders/paid to the subscription…"):
        burst = send_burst(sandbox, stack.receiver_url)
    console.print(
        f"Burst: {burst.sent} deliveries sent, {burst.accepted} accepted"
        f" (incl. {burst.duplicates} duplicates), {burst.rejected} forged one rejected,"
        f" {burst.missed_on_purpose} orders' webhooks 'lost' on purpose, {burst.new_orders} customers"
        " bought again."
    )
    inbox = Inbox(database(f"sqlite:///{data_dir / 'shopsync.db'}"))
    unique = burst.accepted - burst.duplicates
    burst_sent = time.monotonic()
    with console.status("Waiting for the receiver-triggered sync runs…") as status:
        synced = wait_for_inbox(inbox, unique, SYNC_TIMEOUT_SECONDS, lambda text: status.update(text))
    lag = time.monotonic() - burst_sent
    console.print(f"Every delivery reached HubSpot {lag:.1f} s after the burst ended.")
    runs.extend(("sync", run) for run in _sync_runs())
    drift_after_sync, _ = contacts_off_by(sandbox)
    console.print(
        f"After the real-time sync: {drift_after_sync} contacts still disagree (lost webhooks, drift)."
    )

    with console.status("Reconciliation, dry run…"):
        runs.append(("reconcile (dry run)", run_and_wait(_RECONCILE, {"mode": "full", "dry_run": True})))
    drift_after_dry_run, _ = contacts_off_by(sandbox)
    with console.status("Reconciliation, for real…"):
        # The seeded portal was synced by shopsync before (its contacts carry the trigger): not a backfill.
        parameters = {"mode": "full", "dry_run": False, "backfill": False}
        runs.append(("reconcile", run_and_wait(_RECONCILE, parameters)))
    drift_final, _ = contacts_off_by(sandbox)
    triggers = workflow_triggers(sandbox, triggers_at_start)
    # The sync runs were read while the last one was still finishing: show the names and states they end
    # with ("98 deliveries: 75 synced, …"), not the ones they had then.
    runs = [(step, _refreshed(run)) for step, run in runs]

    checks = {
        "setup subscribed the receiver to every topic": subscribed == [stack.receiver_url],
        "shopsync doctor passed": doctor_passed,
        "every accepted delivery finished": synced,
        "dry run wrote nothing": drift_after_dry_run == drift_after_sync,
        "HubSpot equals Shopify after reconciliation": drift_final == 0,
        "no workflow trigger from a correction": triggers.from_corrections == 0 and triggers.new_orders > 0,
        # A sync run may still be queued behind the one-at-a-time limit (the safety drain): not a failure.
        "no run failed": all(_not_failed(run) for _, run in runs),
    }
    drift = (drift_before, drift_after_sync, drift_final)
    _print_summary(console, stack, burst, inbox, runs, drift, triggers, checks)
    return all(checks.values()), runs[-1][1]


_RECONCILE = "reconcile-shopify-hubspot/reconcile-nightly"


def _not_failed(run: FlowRun) -> bool:
    state = run.state
    return state is not None and (state.is_completed() or not state.is_final())


def _refreshed(run: FlowRun) -> FlowRun:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run.id)


def _sync_runs() -> list[FlowRun]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["shopify-webhook"]))
        )


def _print_summary(
    console: Console,
    stack: Stack,
    burst: BurstResult,
    inbox: Inbox,
    runs: list[tuple[str, FlowRun]],
    drift: tuple[int, int, int],
    triggers: WorkflowTriggers,
    checks: dict[str, bool],
) -> None:
    counts = inbox.counts()
    table = Table(title="shopsync demo")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("deliveries accepted (unique)", str(burst.accepted - burst.duplicates))
    table.add_row("deliveries rejected (forged signature)", str(burst.rejected))
    table.add_row("duplicates answered and ignored", str(burst.duplicates))
    for status in ("synced", "skipped", "failed"):
        table.add_row(f"deliveries {status}", str(counts[status]))
    table.add_row("contacts off before / after sync / after reconcile", " / ".join(map(str, drift)))
    labels = ", ".join(f"{count} {source}" for source, count in sorted(triggers.by_source.items()))
    table.add_row(triggers.describe(), labels or "none")
    console.print(table)
    runs_table = Table(title="Runs in the Prefect UI")
    runs_table.add_column("step")
    runs_table.add_column("run")
    runs_table.add_column("state")
    runs_table.add_column("link")
    for step, run in runs:
        state = run.state.name if run.state else "?"
        runs_table.add_row(step, run.name, state, f"{stack.ui_url}/runs/flow-run/{run.id}")
    console.print(runs_table)
    for name, passed in checks.items():
        console.print(f"{'[green]✓' if passed else '[red]✗'}[/] {name}")


def _wait_for_interrupt() -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
