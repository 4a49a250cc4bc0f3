"""`make bench`: run every benchmark, one after another, each in its own interpreter, then rebuild the docs.

Each benchmark writes `bench/results/<name>.json` and prints its key ratio as its last line; this echoes
those lines, regenerates the results block of `docs/benchmarks.md` from the JSON files, and exits non-zero
if any benchmark failed (crashed, or found a wrong answer: a lost delivery, a contact left wrong).

Usage: `python -m bench.run_all [--quick] [--only NAME ...] [--output DIR]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import RESULTS_DIR
from bench.results_doc import DOC_PATH, regenerate

BENCHMARKS = ("diff", "receiver", "burst", "reconcile", "nightly_edits")
# The scale curve runs ~20 minutes on its own (`make bench-scale`), so `make bench` leaves it out.
OPTIONAL = ("scale",)
_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    """How one benchmark run ended."""

    name: str
    returncode: int
    seconds: float
    key_line: str


def run_one(name: str, quick: bool, output: Path) -> Outcome:
    """Run `python -m bench.<name>_bench`, streaming its output, and keep its last line."""
    command = [sys.executable, "-m", f"bench.{name}_bench", "--output", str(output)]
    if quick:
        command.append("--quick")
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    last = ""
    with subprocess.Popen(command, cwd=_REPO_ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line.strip()
    seconds = time.monotonic() - started
    print(f"== {name}: exit {process.returncode} after {seconds:.0f} s", flush=True)
    return Outcome(name, process.returncode, seconds, last if process.returncode in (0, 1) else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and rebuild `docs/benchmarks.md`."""
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at its smoke-test size")
    parser.add_argument("--only", nargs="+", choices=(*BENCHMARKS, *OPTIONAL), help="run only these")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for the results JSON")
    parser.add_argument("--doc", type=Path, default=DOC_PATH, help="the document to update")
    args = parser.parse_args(argv)
    started = time.monotonic()
    outcomes = [run_one(name, args.quick, args.output) for name in args.only or BENCHMARKS]
    key_lines = [f"{o.name}: {o.key_line or f'failed (exit {o.returncode})'}" for o in outcomes]
    crashed = [line for outcome, line in zip(outcomes, key_lines, strict=True) if not outcome.key_line]
    path = regenerate(crashed, args.output, args.doc)
    print(f"\nall benchmarks took {time.monotonic() - started:.0f} s; table: {path}")
    for outcome, line in zip(outcomes, key_lines, strict=True):
        print(f"  {line}  [{outcome.seconds:.0f} s]")
    failed = [outcome.name for outcome in outcomes if outcome.returncode != 0]
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
