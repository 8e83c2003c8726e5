"""The notification benchmark's quick mode, end to end: its own PostgreSQL, Tansu, dev mailbox and notify process,
a campaign to 1,000 participants by e-mail and SMS, and one-time codes through the broker before and during it.

Correctness only: every campaign message and every code reached the mailbox exactly once. Its timings depend on the
machine and are the benchmark's to report, not this test's to judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_delivers_every_message_and_code_exactly_once(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks.notify", "--quick", "--summary", str(summary)],
                          cwd=ROOT, capture_output=True, text=True, timeout=400, check=False)
    assert summary.exists(), f"no summary written:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    found = json.loads(summary.read_text())
    assert found["campaign_expected"] == {"email": 1000, "sms": 1000}
    assert found["campaign_once"] == found["campaign_expected"]
    assert found["campaign_missing"] == {"email": 0, "sms": 0}
    assert found["campaign_extra_copies"] == {"email": 0, "sms": 0}
    assert found["codes"] >= 30  # the warm-up's, then 3 s at 5 a second without the campaign and 3 s with it
    assert (found["codes_once"], found["codes_missing"], found["codes_extra_copies"]) == (found["codes"], 0, 0)
    assert found["deliveries_not_sent"] == 0
    assert found["failures"] == [] and found["exit_code"] == 0, done.stdout[-3000:]
