"""The deadline-rush benchmark's short run, as a smoke test: it completes, and nothing acknowledged is lost.

The run starts the whole platform itself (in a temporary folder, on free loopback ports) with 2,000 participants,
and exits 0 only when its reconciliation passed: every acknowledged submission submitted in exam's database and
graded exactly once (one graded row, one AttemptScored), every server-closed attempt graded, and the leaderboard
equal to the standings table. Its speed is not checked here: CI machines differ.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_quick_rush_completes_and_reconciles() -> None:
    run = subprocess.run([sys.executable, "-m", "benchmarks.rush", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, check=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "all checks passed" in run.stdout
    acknowledged = int(re.search(r"acknowledged submissions\s+([\d,]+)\s+ok", run.stdout)[1].replace(",", ""))
    graded = int(re.search(r"graded once, with one AttemptScored\s+([\d,]+)\s+ok", run.stdout)[1].replace(",", ""))
    closed = int(re.search(r"closed by the server \(never submitted\)\s+([\d,]+)\s+ok", run.stdout)[1]
                 .replace(",", ""))
    assert acknowledged > 0 and graded == acknowledged
    assert acknowledged + closed <= 2000 and closed >= 2000 * 0.04 * 0.9  # those who never submit were closed
    assert re.search(r"board = standings\s+[\d,]+ on the board\s+ok", run.stdout)
