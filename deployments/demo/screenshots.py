"""Look at the product as a user does: screenshot Prefect UI pages in headless Chromium.

Needs Debian's `chromium` (`apt-get install chromium`); `shopsync demo --screenshots DIR` uses this to save
the reconcile run's page and its drift report. The flags keep Chromium off the network: this machine has no
internet and Chromium's background services would otherwise retry for ever.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium_binary() -> str:
    """The Chromium executable, or a clear error saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("headless Chromium is needed for screenshots: apt-get install chromium")


def screenshot(url: str, destination: Path, width: int = 1500, height: int = 1400) -> Path:
    """Render `url` (waiting for the single-page app to load its data) into a PNG."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    profile = destination.parent / ".chromium-profile"
    command = [
        chromium_binary(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        # The UI fetches runs and artifacts after the first paint; give it virtual time to settle.
        "--virtual-time-budget=20000",
        f"--screenshot={destination}",
        url,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    return destination


def drift_report_url(ui_url: str, flow_run_id: UUID) -> str | None:
    """The UI page of the drift-report artifact a reconcile run created (None if it made none)."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["drift-report"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    return f"{ui_url}/artifacts/artifact/{artifacts[0].id}" if artifacts else None


def capture_reconcile_run(ui_url: str, flow_run_id: UUID, folder: Path) -> list[Path]:
    """Screenshots of the reconcile run's page and of its drift report."""
    saved = [screenshot(f"{ui_url}/runs/flow-run/{flow_run_id}", folder / "reconcile-run.png")]
    report = drift_report_url(ui_url, flow_run_id)
    if report:
        saved.append(screenshot(report, folder / "drift-report.png"))
    return saved
