"""The README's first command, as a person runs it: start, print the URLs, serve, stop on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.journey import Participant

pytestmark = pytest.mark.e2e


def start_launcher(data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "localstack", "up", "--data", str(data), "--free-ports"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_gateway_url(launcher: subprocess.Popen[str], timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    assert launcher.stdout is not None
    while time.monotonic() < deadline:
        line = launcher.stdout.readline()
        if not line and launcher.poll() is not None:
            raise AssertionError("the launcher exited before it printed its URLs")
        found = re.search(r"Gateway .*?(http://127\.0\.0\.1:\d+)/api/contests", line)
        if found:
            return found.group(1)
    raise AssertionError("no gateway URL printed")


def make_an_operator(gateway: str, data: Path) -> None:
    """The first operator: registered like anyone, then granted the role from the command line."""
    person = Participant(gateway, name="Quản trị viên")
    assert person.register().status_code == 201
    granted = subprocess.run([sys.executable, "-m", "localstack", "grant-role", "--data", str(data),
                              "--phone", person.phone, "--role", "operator"], capture_output=True, text=True)
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert person.log_in().status_code == 200
    opened = person.client.post("/api/contests", headers=person.auth, json={
        "id": "cuoc-thi-moi", "title": "Cuộc thi mới", "organiser": "Sở TT&TT"})
    assert opened.status_code == 201, opened.text


def test_up_serves_the_demo_keeps_data_and_stops_every_process_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for run in ("first", "second"):  # the second run finds the data of the first
        launcher = start_launcher(data)
        children: list[psutil.Process] = []
        try:
            gateway = read_gateway_url(launcher)
            children = psutil.Process(launcher.pid).children(recursive=True)
            assert len(children) >= 8, "PostgreSQL, Valkey, Tansu and five services"
            contests = httpx.get(gateway + "/api/contests", timeout=10).json()
            assert [c["id"] for c in contests] == ["cds-cchc-2024"], run
            if run == "first":
                make_an_operator(gateway, data)
        finally:
            launcher.send_signal(signal.SIGINT)
            launcher.wait(60)
        assert launcher.returncode == 0
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [], f"left running after Ctrl-C: {alive}"
    assert (data / "postgres" / "PG_VERSION").exists()
