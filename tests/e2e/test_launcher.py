"""The README's first command, as a person runs it: start, print the URLs, serve, keep the data until --reset,
stop on Ctrl-C."""

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


def start_launcher(data: Path, *options: str, sigint_ignored: bool = False) -> subprocess.Popen[str]:
    # A shell without job control starts background commands with SIGINT ignored, and children inherit that.
    ignoring = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    return subprocess.Popen([sys.executable, "-m", "localstack", "up", "--data", str(data), "--free-ports", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=ignoring)


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


def make_an_operator(gateway: str, data: Path) -> Participant:
    """The first operator: registered like anyone, then granted the role from the command line."""
    person = Participant(gateway, name="Quản trị viên")
    assert person.register().status_code == 201
    granted = subprocess.run([sys.executable, "-m", "localstack", "grant-role", "--data", str(data),
                              "--phone", person.phone, "--role", "operator"], capture_output=True, text=True)
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert person.log_in().status_code == 200
    assert open_a_contest(person).status_code == 201
    return person


def open_a_contest(operator: Participant) -> httpx.Response:
    return operator.client.post("/api/contests", headers=operator.auth, json={
        "id": "cuoc-thi-moi", "title": "Cuộc thi mới", "organiser": "Sở TT&TT"})


def test_up_serves_the_demo_keeps_data_until_reset_and_stops_every_process_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "data"
    operator: Participant | None = None
    # The second run finds the first's data, and is started as a background job of a script (SIGINT
    # ignored), where Ctrl-C must still stop it; the third starts afresh.
    for run, options, sigint_ignored in (("first", (), False), ("second", (), True), ("reset", ("--reset",), False)):
        launcher = start_launcher(data, *options, sigint_ignored=sigint_ignored)
        children: list[psutil.Process] = []
        try:
            gateway = read_gateway_url(launcher)
            children = psutil.Process(launcher.pid).children(recursive=True)
            assert len(children) >= 8, "PostgreSQL, Valkey, Tansu and five services"
            contests = httpx.get(gateway + "/api/contests", timeout=10).json()
            assert [c["id"] for c in contests] == ["cds-cchc-2024"], run
            if operator is None:
                operator = make_an_operator(gateway, data)
            elif run == "second":  # the person, their role and their draft contest were all kept
                operator.client = httpx.Client(base_url=gateway, timeout=30)  # the ports are new each run
                assert operator.log_in().status_code == 200
                assert open_a_contest(operator).status_code == 409, "the contest is there already"
            else:
                operator.client = httpx.Client(base_url=gateway, timeout=30)
                assert operator.log_in().status_code == 401, "--reset forgets everyone"
        finally:
            launcher.send_signal(signal.SIGINT)
            launcher.wait(60)
        assert launcher.returncode == 0, run
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [], f"left running after Ctrl-C ({run} run): {alive}"
    assert (data / "postgres" / "PG_VERSION").exists()
