"""Turn the scale curve's runs into `scale.json`: medians, the floor, log-log slopes per stage, goals."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from bench.reconcile_report import minimum_requests

GOAL_PEAK_RSS_BYTES = 2_000_000_000
# A slope of 1 is linear; measured slopes wobble by a few hundredths run to run.
GOAL_MAX_SLOPE = 1.1
STAGES = ("export", "parse", "ledger", "contacts", "expected", "diff", "writes", "report")
_GB = 1_000_000_000

Runs = Mapping[str, Mapping[int, Sequence[Mapping[str, Any]]]]


def log_log_slope(sizes: Sequence[int], seconds: Sequence[float]) -> float | None:
    """The least-squares slope of log(seconds) over log(size): 1 = linear, 2 = quadratic."""
    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, seconds, strict=True) if t > 0]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def floor_of(store: Mapping[str, int], ten_second_limit: int) -> dict[str, Any]:
    """Least HubSpot requests (list every contact, write the drifted) and their time at the rate limit."""
    minimum = minimum_requests(store["portal_contacts"], store["drifted"])
    return {"requests": minimum, "seconds": round(minimum["total"] / (ten_second_limit / 10), 2)}


def _medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "wall_seconds": statistics.median(run["wall_seconds"] for run in runs),
        "stage_seconds": {
            stage: statistics.median(run["stage_seconds"].get(stage, 0.0) for run in runs) for stage in STAGES
        },
        "peak_rss_bytes": int(statistics.median(run["peak_rss_bytes"] for run in runs)),
        "peak_rss_bytes_max": max(run["peak_rss_bytes"] for run in runs),
        "stage_peak_rss_bytes": {
            stage: int(statistics.median(run["stage_peak_rss_bytes"].get(stage, 0) for run in runs))
            for stage in STAGES
        },
        "requests": statistics.median(run["requests"] for run in runs),
        "writes": statistics.median(run["requests_by_kind"]["writes"] for run in runs),
    }


def build_report(
    measured: Runs, stores: Mapping[int, Mapping[str, int]], *, ten_second_limit: int
) -> dict[str, Any]:
    """The payload of `scale.json` (without machine facts and timestamp)."""
    floors = {size: floor_of(store, ten_second_limit) for size, store in stores.items()}
    medians = {
        db: {size: _medians(runs) for size, runs in by_size.items()} for db, by_size in measured.items()
    }
    slopes = {db: _slopes(by_size) for db, by_size in medians.items()}
    largest = max(stores)
    goals = _goals(medians, slopes, largest)
    return {
        "mode": "reconcile steps of the flow in a fresh interpreter per run; sandbox in its own process",
        "runs": {str(size): len(runs) for size, runs in next(iter(measured.values()), {}).items()},
        "stores": {str(size): dict(store) for size, store in stores.items()},
        "floors": {str(size): floor for size, floor in floors.items()},
        "medians": {db: {str(size): m for size, m in by_size.items()} for db, by_size in medians.items()},
        "slopes": slopes,
        "goals": goals,
        "all_contacts_right": all(
            run["contacts_wrong_after"] == 0 and run["counts"]["failed"] == 0
            for by_size in measured.values()
            for runs in by_size.values()
            for run in runs
        ),
        "rate_limited_429": sum(
            run["rate_limited_429"]
            for by_size in measured.values()
            for runs in by_size.values()
            for run in runs
        ),
        "measurements": {
            db: {str(size): list(runs) for size, runs in by_size.items()} for db, by_size in measured.items()
        },
        "table": _rows(medians, floors, slopes, goals, largest),
    }


def _slopes(by_size: Mapping[int, Mapping[str, Any]]) -> dict[str, float | None]:
    sizes = sorted(by_size)
    slopes = {
        stage: log_log_slope(sizes, [by_size[size]["stage_seconds"][stage] for size in sizes])
        for stage in STAGES
    }
    slopes["end to end"] = log_log_slope(sizes, [by_size[size]["wall_seconds"] for size in sizes])
    slopes["peak RSS"] = log_log_slope(sizes, [by_size[size]["peak_rss_bytes"] for size in sizes])
    return {name: None if value is None else round(value, 3) for name, value in slopes.items()}


def _goals(
    medians: Mapping[str, Mapping[int, Mapping[str, Any]]],
    slopes: Mapping[str, Mapping[str, float | None]],
    largest: int,
) -> dict[str, dict[str, Any]]:
    goals: dict[str, dict[str, Any]] = {}
    for db, by_size in medians.items():
        peak = by_size[largest]["peak_rss_bytes_max"]
        worst = max(
            ((stage, slope) for stage, slope in slopes[db].items() if stage in STAGES and slope is not None),
            key=lambda item: item[1],
            default=("", 0.0),
        )
        goals[db] = {
            "peak_rss": {
                "goal": f"<= {GOAL_PEAK_RSS_BYTES / _GB:.0f} GB",
                "value": peak,
                "met": peak <= GOAL_PEAK_RSS_BYTES,
            },
            "worst_slope": {
                "goal": f"<= {GOAL_MAX_SLOPE} (linear)",
                "stage": worst[0],
                "value": worst[1],
                "met": worst[1] <= GOAL_MAX_SLOPE,
            },
        }
    return goals


def _rows(
    medians: Mapping[str, Mapping[int, Mapping[str, Any]]],
    floors: Mapping[int, Mapping[str, Any]],
    slopes: Mapping[str, Mapping[str, float | None]],
    goals: Mapping[str, Mapping[str, Any]],
    largest: int,
) -> list[dict[str, Any]]:
    rows = []
    floor = floors[largest]
    for db, by_size in medians.items():
        top = by_size[largest]
        rows += [
            {
                "figure": f"scale: {largest:,} orders end to end ({db})",
                "value": f"{top['wall_seconds']:.1f} s",
                "baseline": f"HubSpot floor {floor['seconds']:.1f} s ({floor['requests']['total']} requests)",
                "ratio": round(top["wall_seconds"] / floor["seconds"], 3),
                "goal": "report",
                "met": None,
            },
            {
                "figure": f"scale: {largest:,} orders peak RSS ({db})",
                "value": f"{goals[db]['peak_rss']['value'] / _GB:.2f} GB",
                "baseline": "goal 2 GB",
                "ratio": round(goals[db]["peak_rss"]["value"] / GOAL_PEAK_RSS_BYTES, 3),
                "goal": goals[db]["peak_rss"]["goal"],
                "met": goals[db]["peak_rss"]["met"],
            },
            {
                "figure": f"scale: steepest stage, log-log slope over {len(by_size)} sizes ({db})",
                "value": f"{goals[db]['worst_slope']['stage']} {goals[db]['worst_slope']['value']:.2f}",
                "baseline": f"end to end {slopes[db]['end to end']}",
                "ratio": goals[db]["worst_slope"]["value"],
                "goal": goals[db]["worst_slope"]["goal"],
                "met": goals[db]["worst_slope"]["met"],
            },
        ]
    return rows


def scale_table(payload: Mapping[str, Any]) -> list[str]:
    """The Markdown scale table: one row per database and size, stage seconds, peak RSS, requests."""
    head = [
        "database",
        "orders",
        "end to end s",
        "HubSpot floor s",
        "ratio",
        *(f"{s} s" for s in STAGES),
        "peak RSS GB",
        "requests / minimum",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for db, by_size in payload["medians"].items():
        for size, median in sorted(by_size.items(), key=lambda item: int(item[0])):
            floor = payload["floors"][size]
            cells = [
                db,
                f"{int(size):,}",
                f"{median['wall_seconds']:.1f}",
                f"{floor['seconds']:.1f}",
                f"{median['wall_seconds'] / floor['seconds']:.2f}",
                *(f"{median['stage_seconds'][stage]:.2f}" for stage in STAGES),
                f"{median['peak_rss_bytes'] / _GB:.2f}",
                f"{median['requests']:.0f} / {floor['requests']['total']}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| log-log slope | " + " | ".join(STAGES) + " | end to end | peak RSS |",
        "|---|" + "---|" * (len(STAGES) + 2),
    ]
    for db, slopes in payload["slopes"].items():
        values = [slopes.get(name) for name in (*STAGES, "end to end", "peak RSS")]
        lines.append(f"| {db} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in values) + " |")
    return lines


def key_ratio_line(payload: Mapping[str, Any]) -> str:
    """The last line the benchmark prints."""
    parts = []
    for db, goal in payload["goals"].items():
        rss, slope = goal["peak_rss"], goal["worst_slope"]
        parts.append(
            f"{db}: peak {rss['value'] / _GB:.2f} GB (met: {rss['met']}), "
            f"steepest {slope['stage']} {slope['value']:.2f} (met: {slope['met']})"
        )
    return "scale curve: " + "; ".join(parts) + f"; contacts right: {payload['all_contacts_right']}"
