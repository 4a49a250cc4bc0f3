"""Serve every deployment of prefect.yaml from one process (Prefect `serve`, no worker needed).

prefect.yaml stays the single source of truth: this module reads it and turns each entry into a
`RunnerDeployment`, so `prefect deploy --all` and `shopsync serve` can never disagree.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron, Interval, Schedule

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def load_deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The `deployments:` entries of prefect.yaml (anchors resolved)."""
    document = yaml.safe_load(path.read_text())
    specs = document.get("deployments") or []
    if not isinstance(specs, list):
        raise ValueError(f"{path}: deployments must be a list")
    return specs


def schedules_of(spec: dict[str, Any]) -> list[Schedule]:
    """The deployment's schedules as Prefect objects (cron with timezone, or an interval in seconds)."""
    schedules: list[Schedule] = []
    for entry in spec.get("schedules") or []:
        if "cron" in entry:
            schedules.append(Cron(entry["cron"], timezone=entry.get("timezone")))
        elif "interval" in entry:
            schedules.append(Interval(timedelta(seconds=float(entry["interval"]))))
        else:
            raise ValueError(f"deployment {spec['name']}: unsupported schedule {entry}")
    return schedules


def to_runner_deployment(spec: dict[str, Any], root: Path) -> RunnerDeployment:
    """One prefect.yaml entry as a deployment `serve` can run."""
    flow: Flow[..., Any] = load_flow_from_entrypoint(str(root / spec["entrypoint"]))
    deployment = flow.to_deployment(
        name=spec["name"],
        description=spec.get("description"),
        tags=spec.get("tags"),
        parameters=spec.get("parameters") or {},
        schedules=schedules_of(spec),
        concurrency_limit=concurrency_of(spec),
        _sync=True,  # type: ignore[call-arg]  # Prefect's sync/async dual dispatch
    )
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def concurrency_of(spec: dict[str, Any]) -> ConcurrencyLimitConfig | None:
    """prefect.yaml's `concurrency_limit: {limit, collision_strategy}` (or a bare number)."""
    limit = spec.get("concurrency_limit")
    if limit is None:
        return None
    if isinstance(limit, int):
        return ConcurrencyLimitConfig(limit=limit)
    strategy = ConcurrencyLimitStrategy(limit.get("collision_strategy", "ENQUEUE"))
    return ConcurrencyLimitConfig(limit=limit["limit"], collision_strategy=strategy)


def serve_all(path: Path = PREFECT_YAML, limit: int = 4) -> None:
    """Serve every deployment of prefect.yaml until interrupted."""
    deployments = [to_runner_deployment(spec, path.parent) for spec in load_deployment_specs(path)]
    serve(*deployments, limit=limit)
