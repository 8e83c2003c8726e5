"""The whole platform on one machine: servers, databases, keys, demo data and every service."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from localstack.keys import ensure_key_pair
from localstack.processes import free_port, spawn, stop
from localstack.servers import DevMailbox, Postgres, Tansu, Valkey

SERVICES = ("registration", "exam", "scoring", "notify", "gateway")
DATABASES = ("registration", "exam", "scoring", "notify")
DEFAULT_PORTS = {"gateway": 8000, "registration": 8001, "exam": 8002, "scoring": 8003, "notify": 8004}
# The dev mailbox on the ports notify's settings default to (and that MailHog made familiar).
MAILBOX_SMTP_PORT, MAILBOX_HTTP_PORT = 1025, 8025


@dataclass
class Platform:
    data_dir: Path
    fixed_ports: bool = False
    partitions: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)
    # Processes per service (1 when absent): extra ones are named "exam-2", "exam-3"... on ports of their own.
    # Scoring's instances share the work through their Kafka consumer groups; each exam instance answers HTTP.
    instances: dict[str, int] = field(default_factory=dict)
    # Services whose database is on a PostgreSQL server of its own, as a deployment may give the submissions'
    # system of record: its commits then wait only for its own WAL, not for every service's writes.
    own_postgres: tuple[str, ...] = ()
    postgres: Postgres = field(init=False)  # every other service's database
    own: dict[str, Postgres] = field(init=False)
    valkey: Valkey = field(init=False)
    broker: Tansu = field(init=False)
    mailbox: DevMailbox = field(init=False)
    ports: dict[str, int] = field(init=False)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.postgres = Postgres(self.data_dir / "postgres")
        self.own = {service: Postgres(self.data_dir / f"postgres-{service}") for service in self.own_postgres}
        self.valkey = Valkey(self.data_dir / "valkey")
        self.broker = Tansu(self.data_dir / "logs")
        self.mailbox = DevMailbox(self.data_dir / "mailbox")
        if self.fixed_ports:
            self.mailbox.smtp_port, self.mailbox.http_port = MAILBOX_SMTP_PORT, MAILBOX_HTTP_PORT
        self.ports = dict(DEFAULT_PORTS) if self.fixed_ports else {s: free_port() for s in SERVICES}
        for service in SERVICES:
            for name in self.instance_names(service)[1:]:
                self.ports[name] = free_port()

    def instance_names(self, service: str) -> list[str]:
        """The service's processes by name: the service itself, then "service-2"... (`instances`)."""
        return [service] + [f"{service}-{n}" for n in range(2, self.instances.get(service, 1) + 1)]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def database_url(self, service: str) -> str:
        """Where the service's own database is."""
        return self.own.get(service, self.postgres).url(service)

    # -- whole-platform lifecycle --------------------------------------------------------------

    def start(self, seed_demo: bool = True) -> None:
        self.start_servers()
        asyncio.run(self._create_databases())
        # Where the running stack's database is, for operator commands (`localstack grant-role`).
        (self.data_dir / "stack.json").write_text(json.dumps({
            "registration_database_url": self.database_url("registration")}))
        if seed_demo:
            for service in ("registration", "exam"):
                self._run_module(service, ["seed-demo"])
        for service in SERVICES:
            for name in self.instance_names(service):
                self.start_service(name)
        for service in SERVICES:
            for name in self.instance_names(service):
                self.wait_ready(name)

    def start_servers(self) -> None:
        self.postgres.start()
        for server in self.own.values():
            server.start()
        self.valkey.start()
        self.broker.start()
        self.mailbox.start()  # before the services, so notify's first message has somewhere to go

    def stop(self) -> None:
        for service in reversed(SERVICES):
            for name in reversed(self.instance_names(service)):
                stop(self.processes.pop(name, None))
        self.mailbox.stop()
        self.broker.stop()
        self.valkey.stop()
        for server in self.own.values():
            server.stop()
        self.postgres.stop()

    # -- one service -----------------------------------------------------------------------------

    def env(self, service: str) -> dict[str, str]:
        """The settings of a service's process (`service` may name an extra instance, "exam-2")."""
        name, service = service, service.split("-")[0]
        prefix = service.upper() + "_"
        private, public = ensure_key_pair(self.data_dir / "keys")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.update({
            prefix + "PORT": str(self.ports[name]),
            prefix + "REDIS_URL": self.valkey.url(),
            prefix + "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
            prefix + "KAFKA_TOPIC_PARTITIONS": str(self.partitions),
            prefix + "JWT_PUBLIC_KEY_FILE": str(public),
        })
        if service in DATABASES:
            env[prefix + "DATABASE_URL"] = self.database_url(service)
        if service == "registration":
            env["REGISTRATION_JWT_PRIVATE_KEY_FILE"] = str(private)
        if service == "notify":
            # On one machine, notify's messages can wait for the round's close; exam's submissions cannot.
            env["NOTIFY_CPU_NICE"] = "10"
            env.update({"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(self.mailbox.smtp_port),
                        "NOTIFY_SMS_GATEWAY_URL": self.mailbox.url() + "/sms",
                        "NOTIFY_ZNS_URL": self.mailbox.url() + "/zns"})
        if service == "gateway":
            env.update({f"GATEWAY_{s.upper()}_URL": self.url(s) for s in DATABASES})
        env.update(self.extra_env)
        return env

    def start_service(self, service: str) -> None:
        self.processes[service] = spawn([sys.executable, "-m", service.split("-")[0]],
                                        self.data_dir / "logs" / f"{service}.log", env=self.env(service))

    def wait_ready(self, service: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with code {process.returncode}; see {self.log(service)}")
            try:
                if httpx.get(self.url(service) + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} was not ready within {timeout:.0f} s; see {self.log(service)}")

    def kill_service(self, service: str) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        stop(self.processes.pop(service), sig=9)

    def restart_broker(self) -> None:
        """Kill the broker and start a new empty one on the same port (it keeps nothing on disk)."""
        self.broker.kill()
        self.broker.start()

    def log(self, service: str) -> Path:
        return self.data_dir / "logs" / f"{service}.log"

    def _run_module(self, service: str, args: list[str]) -> None:
        subprocess.run([sys.executable, "-m", service, *args], env=self.env(service), check=True)

    async def _create_databases(self) -> None:
        for server in [self.postgres, *self.own.values()]:
            names = [n for n in DATABASES if self.own.get(n, self.postgres) is server]
            conn = await asyncpg.connect(server.url())
            try:
                existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
                for name in names:
                    if name not in existing:
                        await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
