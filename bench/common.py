"""What every benchmark needs: isolated measurements, medians, machine facts and the results file.

A process's peak RSS only ever grows, so each measurement runs in a fresh interpreter
(`python -m <bench module> --worker ...`) that reports its own high-water mark (see `peak_rss_bytes`) as one
JSON line; a peak from one measurement can then never leak into the next.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

RESULTS_DIR = Path(__file__).resolve().parent / "results"
_REPO_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@dataclass(frozen=True)
class Measurement:
    """One run of one variant.

    Attributes:
        seconds: Wall time of the faster of the process's two runs of the measured work.
        cold_seconds: Wall time of the first run in the process (allocator and caches cold).
        peak_rss_bytes: The process's peak resident set size at the end (inputs included).
        loaded_rss_bytes: The peak right after the inputs were loaded, before the measured work.
        details: Variant-specific facts (stage timings, result fingerprint, counts).
    """

    seconds: float
    cold_seconds: float
    peak_rss_bytes: int
    loaded_rss_bytes: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON line, as a worker prints it."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> Measurement:
        """Parse a worker's line."""
        return cls(**json.loads(line))


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far, in bytes.

    On Linux this is `VmHWM` from /proc/self/status, not `getrusage`: `ru_maxrss` survives execve, so a
    worker started from a 900 MB parent would report at least 900 MB (subprocess spawns via vfork, whose
    address space is the parent's until exec). `VmHWM` belongs to the worker's own address space.
    Elsewhere it falls back to `getrusage` (macOS reports bytes, other systems KiB).
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def reset_peak_rss() -> bool:
    """Start this process's peak RSS afresh from its current RSS (Linux: `clear_refs` 5); False elsewhere.

    Lets one process report the peak of each stage of a run rather than only the run's.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


class Progress:
    """Progress lines of a benchmark (`[name +12s] message`): `make bench` runs for minutes."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self._started
        print(f"[{self._name} +{elapsed:.0f}s] {message}", flush=True)


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def run_isolated(module: str, args: Sequence[str]) -> Measurement:
    """Run `python -m module *args` in a fresh interpreter and parse the Measurement on its last stdout line.

    Raises:
        RuntimeError: The worker failed; the message carries the end of its stderr.
    """
    command = [sys.executable, "-m", module, *args]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=_REPO_ROOT, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
    return Measurement.from_json(completed.stdout.strip().splitlines()[-1])


def summarise(measurements: Sequence[Measurement]) -> dict[str, Any]:
    """Medians over the runs, plus every run's figures so the spread is visible."""
    return {
        "runs": len(measurements),
        "seconds_median": statistics.median(m.seconds for m in measurements),
        "seconds_runs": [round(m.seconds, 4) for m in measurements],
        "cold_seconds_median": statistics.median(m.cold_seconds for m in measurements),
        "peak_rss_bytes_median": int(statistics.median(m.peak_rss_bytes for m in measurements)),
        "peak_rss_bytes_max": max(m.peak_rss_bytes for m in measurements),
        "loaded_rss_bytes_median": int(statistics.median(m.loaded_rss_bytes for m in measurements)),
    }


def machine_info() -> dict[str, Any]:
    """Where the figures come from: they only compare within one run on one machine."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "polars_threads": pl.thread_pool_size(),
        "load_average_1m": os.getloadavg()[0],
    }


def write_result(name: str, payload: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """Write `<directory>/<name>.json` (with a timestamp and the machine facts added) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {
        "name": name,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return path
