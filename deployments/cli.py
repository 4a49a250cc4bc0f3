"""The `shopsync` command line: one entry point for the sandbox, the receiver, the flows and the demo.

Imports are done inside the commands so `shopsync --help` stays fast and a command only loads what it uses.
"""

from __future__ import annotations

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
def demo(
    no_wait: bool = typer.Option(False, "--no-wait", help="Exit when the story is told (for CI)."),
    seed: int = typer.Option(7, help="Seed of the generated store."),
) -> None:
    """Tell the whole story on embedded defaults: sandbox store, sync, reconciliation."""
    from deployments.demo import run_demo

    raise typer.Exit(run_demo(no_wait=no_wait, seed=seed))


if __name__ == "__main__":
    app()
