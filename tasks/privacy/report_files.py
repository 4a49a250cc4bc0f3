"""The data folder's report files under a privacy request: drop a customer's lines, or everything.

The nightly run writes every correction to `reports/<run>/corrections.parquet` and `.csv`; a data request
writes `privacy/data-requests/customer-<id>-request-<n>.md`. A redaction rewrites the former without the
customer's rows and deletes the latter; a shop redaction deletes both folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from tasks.privacy.scrub import Mentions, drop_lines

REPORTS_DIR = "reports"
DATA_REQUESTS_DIR = Path("privacy") / "data-requests"


def data_request_path(data_dir: Path, customer_id: int, request_id: int | None) -> Path:
    """Where a data request's report goes (the name holds ids only)."""
    suffix = f"request-{request_id}" if request_id is not None else "request"
    return data_dir / DATA_REQUESTS_DIR / f"customer-{customer_id}-{suffix}.md"


def scrub_report_files(data_dir: Path, customer_id: int, mentions: Mentions) -> int:
    """Rewrite every stored report without the rows or lines that name the customer.

    Returns:
        How many rows and lines were dropped, over all files.
    """
    dropped = 0
    reports = data_dir / REPORTS_DIR
    for parquet in sorted(reports.rglob("*.parquet")) if reports.is_dir() else []:
        frame = pl.read_parquet(parquet)
        keep = [not mentions.row(row) for row in frame.iter_rows(named=True)]
        if all(keep):
            continue
        kept = frame.filter(pl.Series(keep, dtype=pl.Boolean()))
        dropped += frame.height - kept.height
        kept.write_parquet(parquet)
        # The CSV beside it holds the same rows: written from the kept frame so the two stay equal.
        if (csv := parquet.with_suffix(".csv")).exists():
            kept.write_csv(csv)
    for text_file in sorted(reports.rglob("*")) if reports.is_dir() else []:
        if text_file.suffix in (".parquet",) or not text_file.is_file():
            continue
        if text_file.suffix == ".csv" and text_file.with_suffix(".parquet").exists():
            continue
        text, removed = drop_lines(text_file.read_text(encoding="utf-8"), mentions)
        if removed:
            text_file.write_text(text, encoding="utf-8")
            dropped += removed
    for request in (data_dir / DATA_REQUESTS_DIR).glob(f"customer-{customer_id}-*"):
        request.unlink()
        dropped += 1
    return dropped


def purge_report_files(data_dir: Path) -> int:
    """Delete every report and data request of the shop; returns how many files went."""
    removed = 0
    for folder in (data_dir / REPORTS_DIR, data_dir / DATA_REQUESTS_DIR):
        if folder.is_dir():
            removed += sum(1 for path in folder.rglob("*") if path.is_file())
            shutil.rmtree(folder)
    return removed
