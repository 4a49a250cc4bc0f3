"""Turn the diff benchmark's measurements into `diff.json`: medians, ratios, goals and what they mean."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any, Literal

from bench.common import Measurement, summarise

Variant = Literal["ours", "floor", "python"]
Results = Mapping[tuple[Variant, str], list[Measurement]]

GOAL_DIFF_VS_FLOOR = 1.8  # issue 13 (stretch 1.3)
GOAL_SPEEDUP_VS_PYTHON = 20.0
GOAL_PEAK_RSS_BYTES = 1_500_000_000
_GB = 1_000_000_000


def build_report(
    results: Results, describe: Mapping[str, Any], *, scale: float, sizes: Mapping[str, int], isolated: bool
) -> dict[str, Any]:
    """The payload of `diff.json`.

    Args:
        results: Measurements per (variant, data set), data sets "large" and "baseline".
        describe: The realised shares of each data set.
        scale: large orders / baseline orders, the factor per-row Python's time is scaled by.
        sizes: The sizes used.
        isolated: Whether each run had its own interpreter.

    Returns:
        sizes, data, measurements (medians), ratios, goals, results_match and notes.
    """
    ours, floor = summarise(results[("ours", "large")]), summarise(results[("floor", "large")])
    ours_small = summarise(results[("ours", "baseline")])
    python_small = summarise(results[("python", "baseline")])
    ours["stages_seconds_median"] = _stage_medians(results[("ours", "large")])
    python_scaled = python_small["seconds_median"] * scale
    ratios = {
        "diff_vs_floor_time": ours["seconds_median"] / floor["seconds_median"],
        "diff_vs_floor_cold_time": ours["cold_seconds_median"] / floor["cold_seconds_median"],
        "diff_vs_floor_peak_rss": ours["peak_rss_bytes_median"] / floor["peak_rss_bytes_median"],
        "python_vs_diff_speedup": python_scaled / ours["seconds_median"],
        "python_vs_diff_speedup_same_size": python_small["seconds_median"] / ours_small["seconds_median"],
    }
    return {
        "isolation": "a fresh interpreter per run" if isolated else "in process (peak RSS is the process's)",
        "sizes": {**sizes, "python_time_scale": scale},
        "data": {
            name: {**facts, "outcome": results[("ours", name)][0].details["counts"]}
            for name, facts in describe.items()
        },
        "measurements": {
            "ours": ours,
            "floor": floor,
            "ours_at_baseline_size": ours_small,
            "python_at_baseline_size": python_small,
            "python_scaled_seconds": python_scaled,
        },
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "goals": _goals(ratios, ours["peak_rss_bytes_median"]),
        "results_match": _results_match(results),
        "notes": _notes(scale, isolated),
    }


def _stage_medians(runs: list[Measurement]) -> dict[str, float]:
    stages = runs[0].details["stages_seconds"].keys()
    return {
        stage: statistics.median(run.details["stages_seconds"][stage] for run in runs) for stage in stages
    }


def _results_match(results: Results) -> bool:
    """Every run of ours and of per-row Python on the baseline data produced the very same outcome."""
    digests = {
        run.details["digest"] for variant in ("ours", "python") for run in results[(variant, "baseline")]
    }
    return len(digests) == 1


def _goals(ratios: Mapping[str, float], peak_rss: int) -> dict[str, dict[str, Any]]:
    return {
        "diff_vs_floor_time": {
            "goal": f"<= {GOAL_DIFF_VS_FLOOR}",
            "value": round(ratios["diff_vs_floor_time"], 3),
            "met": ratios["diff_vs_floor_time"] <= GOAL_DIFF_VS_FLOOR,
        },
        "python_vs_diff_speedup": {
            "goal": f">= {GOAL_SPEEDUP_VS_PYTHON}",
            "value": round(ratios["python_vs_diff_speedup"], 1),
            "met": ratios["python_vs_diff_speedup"] >= GOAL_SPEEDUP_VS_PYTHON,
        },
        "peak_rss_bytes": {
            "goal": f"<= {GOAL_PEAK_RSS_BYTES}",
            "value": peak_rss,
            "met": peak_rss <= GOAL_PEAK_RSS_BYTES,
        },
    }


def _notes(scale: float, isolated: bool) -> list[str]:
    notes = [
        "seconds = the faster of two runs in each process, cold_seconds = the first; medians over the runs",
        "ours = customer_aggregates (rules included) + diff_contacts with the default shopsync.toml",
        "floor = group_by(customer_id).agg(sum, count, min, max) + one join to contacts + one comparison",
        f"per-row Python ran at the baseline size and its time is scaled linearly x{scale:g}; it sorts, so "
        "linear scaling slightly flatters it",
        "per-row Python gets its input as dicts (converted outside the timing), ours as frames",
        "peak RSS includes the loaded input frames; loaded_rss_bytes is the peak before the measured work",
        "results_match: at baseline size ours and per-row Python gave the same outcome, every row and value",
    ]
    if not isolated:
        notes.append("quick mode: sizes are tiny and everything ran in one process, so figures are not goals")
    return notes


def summary_lines(payload: Mapping[str, Any]) -> list[str]:
    """Human-readable lines for the console."""
    measured, ratios, goals = payload["measurements"], payload["ratios"], payload["goals"]
    ours, floor = measured["ours"], measured["floor"]
    stages = ", ".join(f"{name} {seconds:.3f}s" for name, seconds in ours["stages_seconds_median"].items())
    return [
        f"ours  {ours['seconds_median']:.3f}s (cold {ours['cold_seconds_median']:.3f}s; {stages}), "
        f"peak {ours['peak_rss_bytes_median'] / _GB:.2f} GB",
        f"floor {floor['seconds_median']:.3f}s (cold {floor['cold_seconds_median']:.3f}s), "
        f"peak {floor['peak_rss_bytes_median'] / _GB:.2f} GB",
        f"per-row Python {measured['python_at_baseline_size']['seconds_median']:.3f}s at baseline size, "
        f"{measured['python_scaled_seconds']:.2f}s scaled",
        f"python/ours speedup {ratios['python_vs_diff_speedup']:.1f}x "
        f"(same size {ratios['python_vs_diff_speedup_same_size']:.1f}x); goal met: "
        f"{goals['python_vs_diff_speedup']['met']}",
        f"peak RSS goal met: {goals['peak_rss_bytes']['met']}; results match per-row Python: "
        f"{payload['results_match']}",
    ]


def key_ratio_line(payload: Mapping[str, Any]) -> str:
    """The last line the benchmark prints."""
    goal = payload["goals"]["diff_vs_floor_time"]
    return f"diff/floor time ratio: {goal['value']:.2f} (goal {goal['goal']}, met: {goal['met']})"
