"""`python -m localstack up [--reset] [--data DIR]`: run the whole platform with a demo contest.

`python -m localstack grant-role --phone P --role operator` gives a registered person a role on the
running local stack (how the first operator comes to be).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from localstack.platform import SERVICES, Platform


def main() -> None:
    # Started in the background by a non-interactive shell, the launcher inherits SIGINT as ignored, and
    # Python then installs no KeyboardInterrupt handler: Ctrl-C to the group would stop nothing.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(prog="localstack", description="Run the contest platform locally.")
    parser.add_argument("command", choices=["up", "grant-role"],
                        help="up: start everything and wait for Ctrl-C; grant-role: give a person a role")
    parser.add_argument("--data", type=Path, default=Path(".data"), help="folder kept between runs")
    parser.add_argument("--reset", action="store_true", help="delete the data folder first")
    parser.add_argument("--free-ports", action="store_true",
                        help="any free ports instead of 8000 to 8004, 1025 and 8025")
    parser.add_argument("--phone", help="grant-role: the registered person's phone")
    parser.add_argument("--role", choices=["operator", "organiser", "coordinator"], help="grant-role: the role")
    parser.add_argument("--unit", help="grant-role: the coordinator's unit code")
    parser.add_argument("--contest", help="grant-role: the organiser's contest id")
    args = parser.parse_args()
    if args.command == "grant-role":
        grant_role(args)
        return
    if args.reset and args.data.exists():
        shutil.rmtree(args.data)
        print(f"Đã xoá dữ liệu cũ / data reset: {args.data}")
    platform = Platform(args.data, fixed_ports=not args.free_ports)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("Starting PostgreSQL, Valkey, Tansu, the dev mailbox and the services...", flush=True)
        platform.start()
        print_urls(platform)
        watch(platform)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping every process...", flush=True)
        platform.stop()
        print("Stopped.")


def watch(platform: Platform) -> None:
    """Serve until a child process dies on its own (or Ctrl-C)."""
    while True:
        for service in SERVICES:
            if platform.processes[service].poll() is not None:
                print(f"{service} stopped unexpectedly; see {platform.log(service)}", file=sys.stderr)
                return
        if platform.mailbox.process and platform.mailbox.process.poll() is not None:
            print(f"the dev mailbox stopped unexpectedly; see {platform.log('mailbox')}", file=sys.stderr)
            return
        time.sleep(1)


def grant_role(args: argparse.Namespace) -> None:
    stack = args.data / "stack.json"
    if not stack.exists():
        sys.exit("The local stack is not running (start it with: python3 dev.py up).")
    if not args.phone or not args.role:
        sys.exit("grant-role needs --phone and --role")
    env = {**os.environ, "REGISTRATION_DATABASE_URL": json.loads(stack.read_text())["registration_database_url"]}
    extra = [flag for name, flag in (("unit", "--unit"), ("contest", "--contest")) if getattr(args, name)]
    values = [v for name in ("unit", "contest") if (v := getattr(args, name))]
    command = [sys.executable, "-m", "registration", "grant-role", "--phone", args.phone, "--role", args.role]
    for flag, value in zip(extra, values, strict=True):
        command += [flag, value]
    sys.exit(subprocess.run(command, env=env).returncode)


def print_urls(platform: Platform) -> None:
    print("\nNền tảng thi trực tuyến đang chạy / the platform is running:")
    print(f"  Gateway (participants' API)  {platform.url('gateway')}/api/contests")
    for service in SERVICES:
        print(f"  {service:<13} {platform.url(service)}  (/docs, /healthz, /readyz, /metrics)")
    print(f"  PostgreSQL   {platform.postgres.url()}")
    print(f"  Valkey       {platform.valkey.url()}")
    print(f"  Kafka (Tansu) {platform.broker.bootstrap_servers}")
    print(f"  Hộp thư thử nghiệm / dev mailbox (verification codes, e-mails, SMS)  {platform.mailbox.url()}")
    print(f"  Data and logs: {platform.data_dir}")
    print("Demo contest: 'Hội thi trực tuyến tìm hiểu về Chuyển đổi số và Cải cách hành chính'. Ctrl-C stops all.",
          flush=True)


if __name__ == "__main__":
    main()
