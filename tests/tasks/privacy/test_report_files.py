"""Report files and text under a redaction: the customer's rows and lines go, everyone else's stay."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tasks.privacy.report_files import data_request_path, purge_report_files, scrub_report_files
from tasks.privacy.scrub import Mentions, drop_lines, drop_rows

ADA = 5_000_000_001


def test_mentions_match_whole_tokens_only() -> None:
    """An id inside a longer number is not the customer; an email matches whatever its case."""
    mentions = Mentions([str(ADA), "ada@example.com", "#1001"])
    assert mentions(f"customer {ADA}") and mentions("ADA@Example.com") and mentions("order #1001,")
    assert not mentions(f"customer {ADA}7") and not mentions("order #10010") and not mentions(None)
    assert drop_lines(f"a\nb {ADA}\nc\n", mentions) == ("a\nc\n", 1)
    assert drop_rows([{"id": str(ADA)}, {"id": "2"}], mentions) == ([{"id": "2"}], 1)


def test_a_redaction_rewrites_corrections_and_deletes_the_customers_export(tmp_path: Path) -> None:
    """corrections.parquet and .csv lose Ada's rows together; her data request export is deleted."""
    run = tmp_path / "reports" / "run-1"
    run.mkdir(parents=True)
    frame = pl.DataFrame({"customer_id": [ADA, 7], "contact_id": ["501", "502"], "after": ["#1001", "#9"]})
    frame.write_parquet(run / "corrections.parquet")
    frame.write_csv(run / "corrections.csv")
    export = data_request_path(tmp_path, ADA, 9999)
    export.parent.mkdir(parents=True)
    export.write_text("Ada's data")
    other = data_request_path(tmp_path, 7, 1)
    other.write_text("someone else's")

    dropped = scrub_report_files(tmp_path, ADA, Mentions([str(ADA), "501"]))

    assert dropped == 2
    assert pl.read_parquet(run / "corrections.parquet")["customer_id"].to_list() == [7]
    assert str(ADA) not in (run / "corrections.csv").read_text()
    assert not export.exists() and other.exists()
    assert purge_report_files(tmp_path) == 3 and not (tmp_path / "reports").exists()
