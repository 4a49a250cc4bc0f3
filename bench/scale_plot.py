"""The scale curve as a PNG: seconds per stage against orders, log-log, one panel per database."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

PLOT_PATH = Path(__file__).resolve().parent.parent / "docs" / "scale-curve.png"
_STAGES = ("export", "parse", "ledger", "contacts", "expected", "diff", "writes", "report")


def plot_curve(payload: Mapping[str, Any], path: Path = PLOT_PATH) -> Path:
    """Draw every stage's median seconds, the end-to-end time and the HubSpot floor; returns `path`."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the file is the product
    import matplotlib.pyplot as plt

    databases = list(payload["medians"])
    figure, axes = plt.subplots(
        1, len(databases), figsize=(6.5 * len(databases), 5), squeeze=False, sharey=True
    )
    for axis, database in zip(axes[0], databases, strict=True):
        by_size = payload["medians"][database]
        sizes = sorted(by_size, key=int)
        orders = [int(size) for size in sizes]
        for stage in _STAGES:
            seconds = [max(by_size[size]["stage_seconds"][stage], 1e-3) for size in sizes]
            axis.plot(orders, seconds, marker="o", label=f"{stage} ({payload['slopes'][database][stage]})")
        axis.plot(
            orders, [by_size[s]["wall_seconds"] for s in sizes], "k-", linewidth=2.5, label="end to end"
        )
        floors = [payload["floors"][size]["seconds"] for size in sizes]
        axis.plot(orders, floors, "k:", linewidth=2, label="HubSpot rate-limit floor")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(f"{database}: seconds per stage (log-log slope)")
        axis.set_xlabel("orders in the store")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel("seconds (median of runs)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
