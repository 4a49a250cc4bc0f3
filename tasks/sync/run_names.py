"""Run names that say what a run did, so the Prefect UI's run list reads like a log."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from prefect import get_client
from prefect.runtime import flow_run


def describe_sync(summary: Mapping[str, int]) -> str:
    """E.g. "12 deliveries: 9 synced, 2 skipped, 1 failed · 3 created, 6 updated"."""
    deliveries = summary.get("deliveries", 0)
    if not deliveries:
        return "inbox empty"
    parts = [f"{summary[key]} {key}" for key in ("synced", "skipped", "failed") if summary.get(key)]
    writes = [
        f"{summary[f'contacts_{key}']} {key}"
        for key in ("created", "updated", "adopted")
        if summary.get(f"contacts_{key}")
    ]
    text = f"{deliveries} deliveries: " + ", ".join(parts)
    return text + (" · " + ", ".join(writes) if writes else "")


def rename_current_run(summary: Mapping[str, int]) -> None:
    """Rename the running flow run after what it processed (no-op outside a run)."""
    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(UUID(run_id), name=describe_sync(summary))
