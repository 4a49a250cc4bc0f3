"""Smoke test of the burst benchmark: 50 deliveries, receiver and sync flow in this process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import burst_bench

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_quick_burst_leaves_every_contact_equal_to_the_oracle_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After 50 deliveries (repeats included) every contact equals the oracle, none is lost, no 429."""
    assert burst_bench.main(["--quick", "--output", str(tmp_path)]) == 0

    result = json.loads((tmp_path / "burst.json").read_text())
    sizes = burst_bench.QUICK
    assert result["mode"].startswith("in process")
    assert result["sending"]["sent"] == sizes.deliveries
    # Every order once, the rest repeats of them with the same webhook id.
    assert result["sending"]["unique_webhook_ids"] == sizes.orders
    assert result["convergence"]["converged"] is True
    assert result["convergence"]["mismatched_customers"] == 0
    assert result["lost"] == 0
    assert result["inbox"]["pending"] == result["inbox"]["claimed"] == 0
    assert sum(result["inbox"].values()) == sizes.orders
    assert result["hubspot"]["rate_limited_429"] == 0
    assert result["hubspot"]["requests"] >= result["hubspot"]["minimum_requests"] > 0
    assert {"convergence_seconds", "lost", "rate_limited_429"} <= result["goals"].keys()
    assert len(result["table"]) == 3
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("burst HubSpot requests/minimum:")
