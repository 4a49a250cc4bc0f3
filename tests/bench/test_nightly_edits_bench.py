"""Smoke test of the nightly-edits benchmark: a tiny store, edits while the nightly runs, none left wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import nightly_edits_bench

# ~25 s (a nightly flow beside a loop of sync flows): run with the drills.
pytestmark = [pytest.mark.drill, pytest.mark.usefixtures("prefect_harness")]


def test_quick_edits_during_the_nightly_leave_every_contact_right(tmp_path: Path) -> None:
    """Every edit is delivered while the nightly runs, and afterwards every contact equals the oracle."""
    result = nightly_edits_bench.run_bench(nightly_edits_bench.QUICK, tmp_path)

    assert result["edits"] == result["edits_during_nightly"] > 0
    assert result["inbox_after"]["pending"] == result["inbox_after"]["claimed"] == 0
    assert result["drain_errors"] == []
    assert (result["contacts_wrong_after"], result["all_contacts_right"]) == (0, True)
    assert result["table"][0]["met"] is True
    assert nightly_edits_bench.key_ratio_line(result).startswith("contacts wrong after the nightly: 0 ")
