"""Smoke test of the receiver benchmark: tiny sizes, both servers in threads of the test process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import receiver_bench


def test_quick_run_writes_the_result_and_the_inbox_holds_every_accepted_delivery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every delivery the receiver accepted is in its inbox, and the JSON carries the ratios."""
    assert receiver_bench.main(["--quick", "--output", str(tmp_path)]) == 0

    result = json.loads((tmp_path / "receiver.json").read_text())
    sizes = receiver_bench.QUICK
    sent_per_run = sizes.warmup_requests + sizes.closed_requests + sizes.rate_requests
    assert result["runs"] == 3
    assert result["inbox"] == {"accepted": 3 * sent_per_run, "rows": 3 * sent_per_run, "matches": True}
    assert result["non_200_responses"] == {"bare": 0, "receiver": 0}
    for target in ("bare", "receiver"):
        assert result["medians"][target]["closed_requests_per_second"] > 0
        assert result["medians"][target]["at_rate_p99_ms"] > 0
    assert result["ratios"]["throughput_receiver_vs_bare"] > 0
    assert {"throughput_ratio", "p99_ms_at_rate"} <= result["goals"].keys()
    assert [row["figure"] for row in result["table"]][0].startswith("receiver throughput")
    assert {"cpu_count", "platform"} <= result["machine"].keys()
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("receiver/bare throughput ratio:")
