"""Smoke test of the reconcile benchmark: a small drifted portal, the reconcile flow in this process."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import reconcile_bench

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_quick_reconcile_rewrites_exactly_the_drifted_contacts_in_minimal_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each run writes the drifted contacts back in ⌈changed/100⌉ batches and leaves every contact right."""
    # Two runs: the second proves the portal is reset to its drift between runs.
    assert reconcile_bench.main(["--quick", "--runs", "2", "--output", str(tmp_path)]) == 0

    result = json.loads((tmp_path / "reconcile.json").read_text())
    drifted = reconcile_bench.QUICK.drifted
    assert result["runs"] == 2
    assert result["portal"]["drifted"] == drifted
    assert result["all_contacts_right"] is True
    assert result["minimum_requests"]["writes"] == math.ceil(drifted / 100)
    for run in result["measurements"]:
        assert run["summary"]["corrections"] == drifted
        assert run["requests_by_kind"]["writes"] == result["minimum_requests"]["writes"]
        assert run["rate_limited_429"] == 0
        assert run["wall_seconds"] > 0
    assert result["goals"]["writes_equal_minimum"]["met"] is True
    assert result["rate_limit"]["floor_seconds"] == pytest.approx(
        result["minimum_requests"]["total"] / 19, abs=0.01
    )
    assert [row["figure"].split(":")[1].strip() for row in result["table"]] == [
        "HubSpot requests",
        "wall time",
    ]
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("reconcile wall/floor ratio:")
