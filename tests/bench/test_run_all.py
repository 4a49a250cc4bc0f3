"""`make bench`'s driver and the results table of docs/benchmarks.md, at smoke-test sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import diff_bench, run_all
from bench.results_doc import BEGIN, END, regenerate

PROSE = (
    "# Benchmarks\n\nWhy the figures are ratios.\n\n{begin}\nstale table\n{end}\n\n"
    "## Analysis\nWhat limits each.\n"
)


def test_run_all_rewrites_only_the_generated_block_and_keeps_the_prose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quick receiver run lands in the table; the hand-written text around the markers survives."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PROSE.format(begin=BEGIN, end=END))

    code = run_all.main(["--quick", "--only", "receiver", "--output", str(tmp_path), "--doc", str(doc)])

    assert code == 0
    text = doc.read_text()
    assert "stale table" not in text
    assert text.startswith("# Benchmarks\n\nWhy the figures are ratios.")
    assert text.rstrip().endswith("## Analysis\nWhat limits each.")
    ratio = json.loads((tmp_path / "receiver.json").read_text())["ratios"]["throughput_receiver_vs_bare"]
    table_rows = [line for line in text.splitlines() if line.startswith("| receiver throughput")]
    assert len(table_rows) == 1 and f"| {ratio:.3g} |" in table_rows[0]
    assert "receiver: receiver/bare throughput ratio:" in text
    assert "all benchmarks took" in capsys.readouterr().out


def test_the_diff_benchmark_gets_rows_derived_from_its_ratios(tmp_path: Path) -> None:
    """diff.json has no table of its own; its floor ratio, Python speedup and peak RSS become rows."""
    assert diff_bench.main(["--quick", "--output", str(tmp_path)]) == 0
    ratios = json.loads((tmp_path / "diff.json").read_text())["ratios"]

    text = regenerate((), tmp_path, tmp_path / "benchmarks.md").read_text()

    rows = [line for line in text.splitlines() if line.startswith("| diff:")]
    assert len(rows) == 3
    assert f"| {ratios['diff_vs_floor_time']:.3g} |" in rows[0]
    assert "per-row Python" in rows[1] and "peak RSS" in rows[2]
    assert text.startswith("# Benchmarks") and BEGIN in text and END in text
