#!/usr/bin/env python3
"""Set up and run the contest platform with nothing but Python 3.11 and pip.

    python3 dev.py up [--reset]   create .venv if needed, then run every server and service locally
    python3 dev.py test [ARGS]    create .venv if needed, then run the whole test suite (ARGS go to pytest)

Uses only the standard library, since it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ("requirements.txt", "requirements-test.txt")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        digest.update((ROOT / name).read_bytes())
    for pyproject in sorted(ROOT.glob("**/pyproject.toml")):
        if ".venv" not in pyproject.parts:
            digest.update(pyproject.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install, unless it is already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older Python
        sys.exit(f"Python 3.11 or newer is needed (found {sys.version.split()[0]}).")
    stamp = VENV / ".installed"
    wanted = _fingerprint()
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    print("Installing the platform and its dependencies (first run takes a minute) ...", flush=True)
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-r", "requirements-test.txt"], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("up", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    os.chdir(ROOT)
    if command == "setup":
        return 0
    module = ["localstack", "up"] if command == "up" else ["pytest"]
    args = [str(PYTHON), "-m", *module, *rest]
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main())
