"""Turn the reconcile benchmark's runs into `reconcile.json`: requests and wall time against their floors."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

GOAL_WALL_VS_FLOOR = 1.3  # issue 13 (stretch 1.1)
_WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
_READ_PATHS = ("batch/read", "/search")


def minimum_requests(portal_contacts: int, changed: int) -> dict[str, int]:
    """List every contact 100 per page, write the changed ones 100 per batch: the least a full run needs."""
    reads, writes = math.ceil(portal_contacts / 100), math.ceil(changed / 100)
    return {"reads": reads, "writes": writes, "total": reads + writes}


def split_requests(per_endpoint: Mapping[str, int]) -> dict[str, int]:
    """Contact reads, contact writes and everything else (property schema calls) among the served requests."""
    kinds = {"reads": 0, "writes": 0, "other": 0}
    for label, count in per_endpoint.items():
        method, _, path = label.partition(" ")
        if not path.startswith("objects/contacts"):
            kinds["other"] += count
        elif method in _WRITE_METHODS and not any(part in path for part in _READ_PATHS):
            kinds["writes"] += count
        else:
            kinds["reads"] += count
    return kinds


def build_report(
    measured: Sequence[Mapping[str, Any]],
    *,
    sizes: Mapping[str, int],
    store: Mapping[str, int],
    portal_contacts: int,
    drifted: int,
    ten_second_limit: int,
) -> dict[str, Any]:
    """The payload of `reconcile.json` (without machine facts and timestamp)."""
    minimum = minimum_requests(portal_contacts, drifted)
    allowed_per_second = ten_second_limit / 10
    floor_seconds = minimum["total"] / allowed_per_second
    request_ratios = [run["requests"] / minimum["total"] for run in measured]
    wall_ratios = [run["wall_seconds"] / floor_seconds for run in measured]
    writes = [run["requests_by_kind"]["writes"] for run in measured]
    medians = {
        "wall_seconds": statistics.median(run["wall_seconds"] for run in measured),
        "requests": statistics.median(run["requests"] for run in measured),
        "writes": statistics.median(writes),
        "reads": statistics.median(run["requests_by_kind"]["reads"] for run in measured),
    }
    wall_ratio = statistics.median(wall_ratios)
    goals = {
        "writes_equal_minimum": {
            "goal": f"= ceil(changed/100) = {minimum['writes']} in every run",
            "value": max(writes),
            "met": all(count == minimum["writes"] for count in writes),
        },
        "wall_vs_floor": {
            "goal": f"<= {GOAL_WALL_VS_FLOOR}",
            "value": round(wall_ratio, 3),
            "met": wall_ratio <= GOAL_WALL_VS_FLOOR,
        },
    }
    return {
        "runs": len(measured),
        "mode": "reconcile flow called in this process (mode=full, force=True), sandbox in its own process",
        "sizes": dict(sizes),
        "store": dict(store),
        "portal": {"contacts": portal_contacts, "drifted": drifted},
        "minimum_requests": minimum,
        "rate_limit": {"per_ten_seconds": ten_second_limit, "floor_seconds": round(floor_seconds, 2)},
        "medians": medians,
        "ratios": {
            "requests_vs_minimum": round(statistics.median(request_ratios), 3),
            "wall_vs_floor": round(wall_ratio, 3),
            "wall_vs_floor_runs": [round(ratio, 3) for ratio in wall_ratios],
        },
        "goals": goals,
        "all_contacts_right": all(run["contacts_wrong_after"] == 0 for run in measured),
        "rate_limited_429": sum(run["rate_limited_429"] for run in measured),
        "measurements": list(measured),
        "table": _table(medians, minimum, floor_seconds, request_ratios, wall_ratio, goals, drifted),
    }


def _table(
    medians: Mapping[str, float],
    minimum: Mapping[str, int],
    floor_seconds: float,
    request_ratios: Sequence[float],
    wall_ratio: float,
    goals: Mapping[str, Mapping[str, Any]],
    drifted: int,
) -> list[dict[str, Any]]:
    requests = f"{medians['requests']:.0f} ({medians['reads']:.0f} reads, {medians['writes']:.0f} writes)"
    least = f"minimum {minimum['total']} ({minimum['reads']} list pages + {minimum['writes']} writes)"
    return [
        {
            "figure": f"reconcile ({drifted} drifted): HubSpot requests",
            "value": requests,
            "baseline": least,
            "ratio": round(statistics.median(request_ratios), 3),
            "goal": goals["writes_equal_minimum"]["goal"],
            "met": goals["writes_equal_minimum"]["met"],
        },
        {
            "figure": f"reconcile ({drifted} drifted): wall time",
            "value": f"{medians['wall_seconds']:.1f} s",
            "baseline": f"rate-limit floor {floor_seconds:.1f} s (minimum requests / 19 per s)",
            "ratio": round(wall_ratio, 3),
            "goal": goals["wall_vs_floor"]["goal"],
            "met": goals["wall_vs_floor"]["met"],
        },
    ]


def key_ratio_line(payload: Mapping[str, Any]) -> str:
    """The last line the benchmark prints."""
    wall, writes = payload["goals"]["wall_vs_floor"], payload["goals"]["writes_equal_minimum"]
    return (
        f"reconcile wall/floor ratio: {wall['value']:.2f} (goal {wall['goal']}, met: {wall['met']}); "
        f"requests/minimum {payload['ratios']['requests_vs_minimum']:.2f}; writes minimal: {writes['met']}"
    )
