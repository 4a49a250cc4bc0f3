"""The `shopsync` command line: one entry point for the sandbox, the receiver, the flows and the demo.

Imports are done inside the commands so `shopsync --help` stays fast and a command only loads what it uses.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

app = typer.Typer(
    name="shopsync",
    help="Keep HubSpot contacts true to what customers bought in Shopify.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (keep it on loopback)."),
    shopify_port: int = typer.Option(8710, help="Port of the sandbox Shopify Admin API."),
    hubspot_port: int = typer.Option(8720, help="Port of the sandbox HubSpot CRM API."),
    seed: int = typer.Option(7, help="Seed of the generated store; the same seed gives the same store."),
) -> None:
    """Serve the sandbox Shopify and HubSpot APIs with a seeded store until Ctrl-C."""
    from sandbox.runner import describe, run_sandbox_forever

    run_sandbox_forever(host, shopify_port, hubspot_port, seed, on_ready=describe)


@app.command()
def receiver(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8730, help="Port to bind."),
) -> None:
    """Serve the Shopify webhook receiver (POST /webhooks/shopify, GET /healthz)."""
    from deployments.receiver.app import run_receiver
    from tasks.settings import get_settings

    run_receiver(host, port, get_settings())


@app.command()
def sync(
    batch_size: int = typer.Option(100, help="Deliveries per batch."),
) -> None:
    """Run the sync flow once, now: drain the webhook inbox into HubSpot."""
    from flows.sync_orders import sync_shopify_orders

    summary = sync_shopify_orders(batch_size=batch_size)
    typer.echo(summary)


@app.command()
def reconcile(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would change; write nothing."),
    full: bool = typer.Option(False, "--full", help="Export every order and list every contact."),
    since: datetime | None = typer.Option(None, help="Re-check orders updated since this ISO date."),
    force: bool = typer.Option(False, "--force", help="Write even when drift exceeds the safety cap."),
    backfill: bool = typer.Option(
        False, "--backfill", help="Label the writes backfill (a history import workflows leave out)."
    ),
) -> None:
    """Run the reconciliation flow once, now: make HubSpot equal to what Shopify says."""
    from deployments.reconcile_cli import run_reconcile

    if full and since is not None:
        raise typer.BadParameter("use either --full or --since")
    raise typer.Exit(run_reconcile(full=full, since=since, dry_run=dry_run, force=force, backfill=backfill))


@app.command()
def replay(
    webhook_id: list[str] = typer.Argument(None, help="Deliveries to replay; all failed ones when omitted."),
    run: bool = typer.Option(True, help="Run the sync flow right after re-queueing."),
) -> None:
    """Re-queue failed deliveries (after fixing their cause) and sync them again."""
    from tasks.runtime import database
    from tasks.settings import get_settings
    from tasks.store.inbox import Inbox

    inbox = Inbox(database(get_settings().sqlalchemy_url))
    for delivery in inbox.failed(limit=1000) if not webhook_id else []:
        typer.echo(f"{delivery.webhook_id}  {delivery.topic}  order {delivery.order_id}: {delivery.reason}")
    requeued = inbox.requeue(webhook_id or None)
    typer.echo(f"re-queued {requeued} deliveries")
    if run and requeued:
        from flows.sync_orders import sync_shopify_orders

        typer.echo(sync_shopify_orders(write_source="replay"))


@app.command()
def setup(
    receiver_url: str | None = typer.Option(
        None,
        help="Public URL of the receiver's POST /webhooks/shopify: subscribe every topic it consumes "
        "(default: SHOPSYNC_RECEIVER_URL; neither: subscriptions are left alone).",
    ),
    budgets: bool = typer.Option(True, help="Create the shared API budgets (needs a Prefect server)."),
    alerts: str | None = typer.Option(
        None, help='Notification Block "type/name" to alert on failed runs and drift, e.g. slack-webhook/ops.'
    ),
) -> None:
    """Create tables, HubSpot properties, webhook subscriptions, API budgets and alerts (idempotent)."""
    from flows.setup import setup_shopsync
    from tasks.errors import ConfigError
    from tasks.settings import get_settings
    from tasks.setup.webhook_subscriptions import check_receiver_url

    url = receiver_url or get_settings().receiver_url
    if url:
        try:
            url = check_receiver_url(url)
        except ConfigError as error:
            raise typer.BadParameter(str(error), param_hint="--receiver-url") from None
    summary = setup_shopsync(budgets=budgets, alerts_block=alerts, receiver_url=url)
    for part, result in summary.items():
        if isinstance(result, list):
            typer.echo(f"{part}:")
            for line in result:
                typer.echo(f"  {line}")
        else:
            typer.echo(f"{part}: {result}")


@app.command()
def doctor(
    receiver_url: str | None = typer.Option(
        None,
        help="Public URL of the receiver's POST /webhooks/shopify; the subscriptions must point at it "
        "(default: SHOPSYNC_RECEIVER_URL).",
    ),
) -> None:
    """Check the store, the portal, Prefect and the database; print ✓/✗ with a fix, exit 1 on any ✗."""
    from deployments.serve import load_deployment_specs
    from tasks.settings import get_settings
    from tasks.setup.doctor.diagnosis import diagnose
    from tasks.setup.doctor.report import render

    settings = get_settings()
    deployments = [spec["name"] for spec in load_deployment_specs()]
    checks = diagnose(settings, receiver_url or settings.receiver_url, deployments)
    for line in render(checks):
        typer.echo(line)
    failures = sum(check.failed for check in checks)
    typer.echo(f"{failures} problem(s) found." if failures else "Everything shopsync needs is in place.")
    raise typer.Exit(1 if failures else 0)


@app.command(name="serve")
def serve_command(
    with_receiver: bool = typer.Option(False, "--receiver", help="Also serve the webhook receiver."),
    host: str = typer.Option("127.0.0.1", help="Receiver interface."),
    port: int = typer.Option(8730, help="Receiver port."),
    limit: int = typer.Option(4, help="Flow runs executing at once."),
) -> None:
    """Serve every deployment of prefect.yaml from this process (and optionally the receiver)."""
    from deployments.serve import serve_all

    if with_receiver:
        import threading

        from deployments.receiver.app import run_receiver
        from tasks.settings import get_settings

        threading.Thread(
            target=run_receiver, args=(host, port, get_settings()), name="receiver", daemon=True
        ).start()
    serve_all(limit=limit)


@app.command()
def demo(
    no_wait: bool = typer.Option(False, "--no-wait", help="Exit when the story is told (for CI)."),
    seed: int = typer.Option(7, help="Seed of the generated store."),
    screenshots: Path | None = typer.Option(
        None, help="Also save screenshots of the reconcile run's UI pages here (needs chromium)."
    ),
) -> None:
    """Tell the whole story on embedded defaults: sandbox store, sync, reconciliation."""
    from deployments.demo.run import run_demo

    raise typer.Exit(run_demo(no_wait=no_wait, seed=seed, screenshots=screenshots))


if __name__ == "__main__":
    app()
