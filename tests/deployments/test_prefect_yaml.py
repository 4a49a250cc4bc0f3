"""prefect.yaml is the single source of deployments: every entry must load and schedule as written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

from deployments.serve import PREFECT_YAML, load_deployment_specs, to_runner_deployment

SPECS = load_deployment_specs()


def test_the_four_deployments_are_defined() -> None:
    """The nightly reconciliation, the inbox drain, the privacy requests and setup are all in prefect.yaml."""
    names = {spec["name"] for spec in SPECS}
    assert names == {"reconcile-nightly", "sync-shopify-orders", "privacy-requests", "setup"}


def test_privacy_requests_have_an_hourly_safety_run_one_at_a_time() -> None:
    """Compliance requests the receiver could not hand over are picked up within the hour, never twice."""
    spec = next(spec for spec in SPECS if spec["name"] == "privacy-requests")
    deployment = to_runner_deployment(spec, PREFECT_YAML.parent)
    (schedule,) = [entry.schedule for entry in deployment.schedules]
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.interval == timedelta(hours=1)
    assert deployment.concurrency_limit == 1


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec["name"])
def test_every_entrypoint_loads_as_a_runner_deployment(spec: dict) -> None:
    """Each entrypoint imports and becomes a deployment with the yaml's parameters and tags."""
    deployment = to_runner_deployment(spec, PREFECT_YAML.parent)
    assert deployment.name == spec["name"]
    assert deployment.parameters == (spec.get("parameters") or {})
    assert set(deployment.tags) >= set(spec.get("tags") or [])


def test_nightly_runs_at_two_in_the_shop_timezone_one_at_a_time() -> None:
    """reconcile-nightly: cron 02:00 America/New_York, at most one run, a colliding one is cancelled."""
    spec = next(spec for spec in SPECS if spec["name"] == "reconcile-nightly")
    deployment = to_runner_deployment(spec, PREFECT_YAML.parent)
    (schedule,) = [entry.schedule for entry in deployment.schedules]
    assert isinstance(schedule, CronSchedule)
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "America/New_York")
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW
    assert deployment.concurrency_limit == 1


def test_the_inbox_has_a_safety_drain_every_five_minutes() -> None:
    """sync-shopify-orders also runs on an interval so deliveries never wait on a missed trigger."""
    spec = next(spec for spec in SPECS if spec["name"] == "sync-shopify-orders")
    deployment = to_runner_deployment(spec, PREFECT_YAML.parent)
    (schedule,) = [entry.schedule for entry in deployment.schedules]
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.interval == timedelta(minutes=5)


def test_sync_runs_never_overlap_but_queue() -> None:
    """Overlapping sync runs could write an older recomputation last: one at a time, the rest enqueued."""
    spec = next(spec for spec in SPECS if spec["name"] == "sync-shopify-orders")
    deployment = to_runner_deployment(spec, PREFECT_YAML.parent)
    assert deployment.concurrency_limit == 1
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
