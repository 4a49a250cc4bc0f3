"""`make demo`: the whole story on embedded defaults, told in the terminal.

Stage one (this file grows with the product): start the sandbox Shopify and HubSpot with a seeded store
and show what they serve and which settings point shopsync at them.
"""

from __future__ import annotations

import threading

from rich.console import Console

from sandbox.runner import describe, running_sandbox


def run_demo(*, no_wait: bool, seed: int, console: Console | None = None) -> int:
    """Run the demo; returns the process exit code."""
    console = console or Console()
    with running_sandbox(seed=seed) as endpoints:
        describe(endpoints, console)
        if no_wait:
            return 0
        console.print("Sandbox is up. Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("Stopped.")
    return 0
