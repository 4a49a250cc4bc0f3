"""Render `bench/results/*.json` as the results table of `docs/benchmarks.md`.

Only the block between the two markers is regenerated; the prose around it (what limits each figure and what
would fix it) is written by hand and kept. Each benchmark's JSON carries its rows under `table`; the diff
benchmark's JSON predates that convention, so its rows are derived from its ratios and goals here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
SCALE_BEGIN, SCALE_END = "<!-- scale:begin -->", "<!-- scale:end -->"
ORDER = ("receiver", "burst", "diff", "reconcile", "nightly_edits", "scale")
_COLUMNS = ("figure", "value", "baseline", "ratio", "goal", "met", "machine", "date")
_GB = 1_000_000_000


def load_results(directory: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every `<name>.json` in the directory, by name, in the benchmarks' order."""
    found = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in directory.glob("*.json")}
    return {name: found[name] for name in sorted(found, key=_rank)}


def _rank(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def rows_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The table rows of one result, with its machine and date added."""
    rows = payload.get("table") or (diff_rows(payload) if payload.get("name") == "diff" else [])
    machine, date = _machine(payload.get("machine", {})), str(payload.get("generated_at", ""))
    return [{**row, "machine": machine, "date": date} for row in rows]


def diff_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for `diff.json`: ours vs the bare-Polars floor, per-row Python vs ours, and peak memory."""
    measured, ratios, goals, sizes = (
        payload["measurements"],
        payload["ratios"],
        payload["goals"],
        payload["sizes"],
    )
    ours, floor = measured["ours"], measured["floor"]
    size = f"{sizes['orders']:,} orders x {sizes['contacts']:,} contacts"
    return [
        {
            "figure": f"diff: rules + aggregates + diff, {size}",
            "value": f"{ours['seconds_median']:.2f} s",
            "baseline": f"bare Polars floor {floor['seconds_median']:.2f} s",
            "ratio": ratios["diff_vs_floor_time"],
            "goal": goals["diff_vs_floor_time"]["goal"],
            "met": goals["diff_vs_floor_time"]["met"],
        },
        {
            "figure": "diff: per-row Python / ours (scaled to the same size)",
            "value": f"{measured['python_scaled_seconds']:.1f} s",
            "baseline": f"ours {ours['seconds_median']:.2f} s",
            "ratio": ratios["python_vs_diff_speedup"],
            "goal": goals["python_vs_diff_speedup"]["goal"],
            "met": goals["python_vs_diff_speedup"]["met"],
        },
        {
            "figure": "diff: peak RSS",
            "value": f"{ours['peak_rss_bytes_median'] / _GB:.2f} GB",
            "baseline": f"floor {floor['peak_rss_bytes_median'] / _GB:.2f} GB",
            "ratio": ratios["diff_vs_floor_peak_rss"],
            "goal": f"<= {int(goals['peak_rss_bytes']['goal'].split()[-1]) / _GB:.1f} GB",
            "met": goals["peak_rss_bytes"]["met"],
        },
    ]


def _machine(facts: Mapping[str, Any]) -> str:
    if not facts:
        return ""
    return f"{facts.get('cpu_count')} CPU {facts.get('machine')}, Python {facts.get('python')}"


def render_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """The Markdown table of every row of every result."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for payload in results.values():
        for row in rows_of(payload):
            lines.append("| " + " | ".join(_cell(row.get(column)) for column in _COLUMNS) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def key_line(name: str, payload: Mapping[str, Any]) -> str:
    """The line the benchmark printed last, rebuilt from its JSON (so a partial rerun keeps every line)."""
    from bench.burst_report import key_ratio_line as burst_line
    from bench.diff_report import key_ratio_line as diff_line
    from bench.nightly_edits_bench import key_ratio_line as nightly_edits_line
    from bench.receiver_bench import key_ratio_line as receiver_line
    from bench.reconcile_report import key_ratio_line as reconcile_line
    from bench.scale_report import key_ratio_line as scale_line

    lines = {
        "diff": diff_line,
        "receiver": receiver_line,
        "burst": burst_line,
        "reconcile": reconcile_line,
        "nightly_edits": nightly_edits_line,
        "scale": scale_line,
    }
    return f"{name}: {lines[name](payload)}" if name in lines else name


def render_block(results: Mapping[str, Mapping[str, Any]], failures: Iterable[str] = ()) -> str:
    """The generated block: the table, how each benchmark ran, and its key line."""
    parts = [BEGIN, "", render_table(results), ""]
    parts += ["How each ran:", "", *(_how(name, payload) for name, payload in results.items()), ""]
    key = [key_line(name, payload) for name, payload in results.items()]
    parts += ["Each benchmark's key line (its last printed line):", "", "```", *key, *failures, "```", ""]
    parts.append(END)
    return "\n".join(parts)


def _how(name: str, payload: Mapping[str, Any]) -> str:
    runs = payload.get("runs") or payload.get("measurements", {}).get("ours", {}).get("runs", "?")
    if isinstance(runs, Mapping):
        runs = _runs_per_size(runs)
    size = payload.get("run_mode") or payload.get("mode")
    description = payload.get("mode") if "run_mode" in payload else payload.get("isolation", "")
    return f"- `{name}` ({size}, {runs} run{'s' if runs != 1 else ''}): {description}"


def render_scale_block(payload: Mapping[str, Any]) -> str:
    """The scale curve's block: its table of stages and slopes, and the plot beside it."""
    from bench.scale_report import scale_table

    plot = Path(str(payload.get("plot", "scale-curve.png"))).name
    date, machine = payload.get("generated_at", ""), _machine(payload.get("machine", {}))
    load = payload.get("machine", {}).get("load_average_1m")
    facts = f"{machine}, 1-minute load {load:.1f} at the end" if load is not None else machine
    runs = _runs_per_size(payload.get("runs", {}))
    lines = [SCALE_BEGIN, "", f"Generated {date} ({facts}); medians over the runs ({runs}).", ""]
    return "\n".join([*lines, *scale_table(payload), "", f"![The scale curve]({plot})", "", SCALE_END])


def _runs_per_size(runs: Mapping[str, int]) -> str:
    return ", ".join(f"{int(size):,} orders: {count}" for size, count in runs.items())


def update_document(block: str, path: Path = DOC_PATH, markers: tuple[str, str] = (BEGIN, END)) -> Path:
    """Replace the block between `markers` in `path` (or add it at the end) and return the path."""
    begin, end = markers
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            tail = rest.split(end, 1)[1]
            path.write_text(head + block + tail, encoding="utf-8")
            return path
        text = text.rstrip() + "\n\n"
    else:
        text = "# Benchmarks\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + block + "\n", encoding="utf-8")
    return path


def regenerate(failures: Sequence[str] = (), results_dir: Path = RESULTS_DIR, path: Path = DOC_PATH) -> Path:
    """Rebuild the results block of `docs/benchmarks.md` from the JSON files (plus lines naming failures),
    and the scale curve's block when there is a `scale.json`."""
    results = load_results(results_dir)
    update_document(render_block(results, failures), path)
    if "scale" in results:
        update_document(render_scale_block(results["scale"]), path, (SCALE_BEGIN, SCALE_END))
    return path
