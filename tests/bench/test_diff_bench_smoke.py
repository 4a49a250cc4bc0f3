"""The diff benchmark's quick mode, and what gives its figures meaning: the same answer as per-row Python."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bench.diff_bench import main, reconcile_frames
from bench.outcome import outcome_of
from bench.python_baseline import reconcile
from bench.synthetic import generate
from tasks.rules.config import ReconcileConfig, RulesConfig, ShopsyncConfig

VARIANTS = ("ours", "floor", "ours_at_baseline_size", "python_at_baseline_size")


def test_quick_mode_writes_medians_ratios_and_goals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--quick` writes diff.json: per-variant medians, ratios computed from them, goals, machine facts."""
    assert main(["--quick", "--output", str(tmp_path)]) == 0

    result = json.loads((tmp_path / "diff.json").read_text())
    measured = result["measurements"]
    assert result["name"] == "diff" and result["mode"] == "quick"
    for variant in VARIANTS:
        assert measured[variant]["runs"] == 3 and len(measured[variant]["seconds_runs"]) == 3
        assert measured[variant]["seconds_median"] > 0 and measured[variant]["peak_rss_bytes_median"] > 0
    ratio = measured["ours"]["seconds_median"] / measured["floor"]["seconds_median"]
    assert result["ratios"]["diff_vs_floor_time"] == round(ratio, 3)
    scaled = measured["python_at_baseline_size"]["seconds_median"] * result["sizes"]["python_time_scale"]
    assert measured["python_scaled_seconds"] == pytest.approx(scaled)
    assert set(result["goals"]) == {"diff_vs_floor_time", "python_vs_diff_speedup", "peak_rss_bytes"}
    assert result["results_match"] is True
    assert {"cpu_count", "platform", "python", "polars"} <= set(result["machine"])
    assert result["data"]["large"]["orders"] == result["sizes"]["orders"]
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith(f"diff/floor time ratio: {result['ratios']['diff_vs_floor_time']:.2f}")


@pytest.mark.parametrize(
    "config",
    [
        ShopsyncConfig(),
        ShopsyncConfig(
            rules=RulesConfig(
                min_order_total=Decimal("150"),
                financial_statuses=("paid", "partially_refunded", "pending"),
                exclude_test_orders=False,
            ),
            reconcile=ReconcileConfig(orphan_policy="report"),
        ),
    ],
    ids=["defaults", "min-total-pending-tests-report-orphans"],
)
def test_polars_and_per_row_python_give_the_same_outcome(config: ShopsyncConfig) -> None:
    """On one synthetic store, our reconciliation and the per-row Python one agree on every row and value."""
    data = generate(4_000, 1_000, seed=11)

    ours = outcome_of(reconcile_frames(data.orders, data.contacts, config))
    theirs = reconcile(
        data.orders.to_dicts(),
        data.contacts.to_dicts(),
        config.rules,
        orphan_policy=config.reconcile.orphan_policy,
    )

    # Every kind of result occurs, so agreement covers creates, adoptions, updates, orphans and duplicates.
    assert all(count > 0 for count in ours.counts().values()), ours.counts()
    for field in ("creates", "adoptions", "updates", "updates_wide", "orphans", "duplicates"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert (ours.unchanged, ours.matched) == (theirs.unchanged, theirs.matched)
    assert ours.digest() == theirs.digest()


def test_rules_change_the_outcome() -> None:
    """The settings above matter: a minimum total and counting pending orders change what gets written."""
    data = generate(4_000, 1_000, seed=11)
    stricter = ShopsyncConfig(rules=RulesConfig(min_order_total=Decimal("150")))

    assert outcome_of(reconcile_frames(data.orders, data.contacts)) != outcome_of(
        reconcile_frames(data.orders, data.contacts, stricter)
    )


def test_per_row_python_refuses_rules_it_does_not_implement() -> None:
    """A list rule would make the baseline silently differ, so it refuses instead."""
    with pytest.raises(ValueError, match="exclude_order_tags"):
        reconcile([], [], RulesConfig(exclude_order_tags=("wholesale",)))
