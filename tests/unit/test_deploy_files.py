"""Static checks of the production deployment files under deploy/ (no Docker needed).

They catch what a typo would otherwise only show at `docker compose up` or in a silent alert:
a setting name a service does not have, a build arg naming no service, a metric that does not
exist, a secret that is not mounted, an image with no fixed tag.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from pydantic_settings import BaseSettings

from exam.settings import ExamSettings
from gateway.settings import GatewaySettings
from kit import metrics
from notify.settings import NotifySettings
from registration.settings import RegistrationSettings
from scoring.settings import ScoringSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = "deploy/docker/Dockerfile"
PROMETHEUS = DEPLOY / "prometheus"

SETTINGS: dict[str, type[BaseSettings]] = {
    "registration": RegistrationSettings,
    "exam": ExamSettings,
    "scoring": ScoringSettings,
    "notify": NotifySettings,
    "gateway": GatewaySettings,
}
SERVICES = tuple(SETTINGS)
WITH_DATABASE = ("registration", "exam", "scoring", "notify")
WITH_BROKER = ("registration", "exam", "scoring", "notify")
CHECKS_TOKENS = ("registration", "exam", "scoring", "notify", "gateway")
SCALABLE = ("exam", "scoring", "scoring-reader")
# exam's database is on a PostgreSQL server of its own; the others share one.
DATABASE_SERVER = {"registration": "postgres", "exam": "postgres-exam", "scoring": "postgres", "notify": "postgres"}
PARTITIONS = 12


# -- reading the files -----------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment:`, as a mapping whichever of the two compose forms it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


_INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def resolve(value: str) -> str:
    """The value compose would give with no variable set: defaults used, required ones filled in."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if operator in (":-", "-"):
            return argument
        if operator in (":?", "?"):
            return f"required-{name.lower()}"
        return ""

    return _INTERPOLATION.sub(substitute, value)


def installed(service: dict[str, Any]) -> list[str]:
    """The platform services an image built for this compose service contains."""
    build = service.get("build")
    if not isinstance(build, dict):
        return []
    args = build.get("args") or {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    return [str(args.get("SERVICE", "")), *str(args.get("EXTRA_SERVICES") or "").split()]


def built() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services().items() if "build" in service}


def setting_names(cls: type[BaseSettings]) -> set[str]:
    prefix = cls.model_config.get("env_prefix", "")
    return {(prefix + field).upper() for field in cls.model_fields}


def prefix_of(name: str) -> str:
    return str(SETTINGS[name].model_config.get("env_prefix", ""))


def service_folders() -> set[str]:
    return {path.parent.name for path in (ROOT / "services").glob("*/pyproject.toml")} - {"kit"}


@cache
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    found: list[tuple[str, str]] = []
    current = ""
    for raw in (ROOT / DOCKERFILE).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        instruction, _, arguments = current.partition(" ")
        found.append((instruction.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return found


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM")
    return instructions[last_from:]


def image_env() -> dict[str, str]:
    """The ENV of the final stage, i.e. what every service container starts with."""
    env: dict[str, str] = {}
    for instruction, arguments in final_stage():
        if instruction != "ENV":
            continue
        words = shlex.split(arguments)
        if "=" not in words[0]:  # legacy form: ENV NAME value
            env[words[0]] = " ".join(words[1:])
            continue
        env.update(word.split("=", 1) for word in words)
    return env


def exposed_port() -> int:
    ports = [arguments.split("/")[0] for instruction, arguments in final_stage() if instruction == "EXPOSE"]
    assert len(ports) == 1, f"the image should expose exactly one port, not {ports}"
    return int(ports[0])


def tag_of(image: str) -> str | None:
    if "@sha256:" in image:
        return "digest"
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


# -- compose: structure and builds ------------------------------------------------------------------


def test_compose_parses_and_has_the_whole_platform() -> None:
    names = set(services())
    assert {"kafka", "postgres", "redis", *SERVICES, "seed-demo", "prometheus"} <= names
    for name, service in services().items():
        assert "image" in service or "build" in service, f"{name} has neither an image nor a build"


@pytest.mark.parametrize("name", sorted(built()))
def test_every_build_uses_the_shared_dockerfile_with_a_real_service(name: str) -> None:
    build = services()[name]["build"]
    assert isinstance(build, dict), f"{name}: use the long build syntax with args"
    assert (COMPOSE.parent / build["context"]).resolve() == ROOT, f"{name}: the build context must be the repo root"
    assert build["dockerfile"] == DOCKERFILE
    assert (ROOT / build["dockerfile"]).is_file()
    packages = installed(services()[name])
    assert packages[0], f"{name}: build arg SERVICE is missing"
    for package in packages:
        assert package in service_folders(), f"{name}: {package!r} is not a folder under services/"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_built_for_itself(name: str) -> None:
    assert installed(services()[name]) == [name]


@pytest.mark.parametrize("name", sorted(services()))
def test_prefixed_variables_are_real_settings_of_a_service_in_the_image(name: str) -> None:
    service = services()[name]
    in_image = installed(service)
    for variable in environment(service):
        for owner, cls in SETTINGS.items():
            if not variable.startswith(prefix_of(owner)):
                continue
            assert owner in in_image, f"{name}: {variable} is for {owner}, which this container does not run"
            assert variable in setting_names(cls), (
                f"{name}: {variable} is not a setting of {cls.__name__}; "
                f"known: {', '.join(sorted(setting_names(cls)))}"
            )


def test_image_environment_names_are_real_settings() -> None:
    for variable in image_env():
        for cls in SETTINGS.values():
            if variable.startswith(cls.model_config.get("env_prefix", "")):
                assert variable in setting_names(cls), f"Dockerfile ENV {variable} is not a setting of {cls.__name__}"


SettingsOf = Callable[[str, str], Any]


@pytest.fixture
def settings_of(monkeypatch: pytest.MonkeyPatch) -> SettingsOf:
    """A service's settings as a container would load them: the image ENV, then compose's environment."""

    def make(compose_service: str, service: str) -> Any:
        prefix = prefix_of(service)
        for variable in [name for name in os.environ if name.upper().startswith(prefix)]:
            monkeypatch.delenv(variable)
        env = {**image_env(), **environment(services()[compose_service])}
        for variable, value in env.items():
            if variable.startswith(prefix):
                monkeypatch.setenv(variable, resolve(value))
        return SETTINGS[service]()

    return make


@pytest.mark.parametrize("name", SERVICES)
def test_service_settings_load_with_production_values(name: str, settings_of: SettingsOf) -> None:
    settings = settings_of(name, name)
    assert settings.host == "0.0.0.0"
    assert settings.port == exposed_port()
    if name in WITH_DATABASE:
        url = urlsplit(settings.database_url)
        assert (url.hostname, url.port, url.path) == (DATABASE_SERVER[name], 5432, f"/{name}")
        assert url.password == "required-postgres_password", "the password must come from ${POSTGRES_PASSWORD:?...}"
    if name in WITH_BROKER:
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.kafka_enable_idempotence is True, "Apache Kafka supports the idempotent producer"
        assert settings.kafka_replication_factor == 1
        assert settings.kafka_topic_partitions == PARTITIONS
    if name in CHECKS_TOKENS:
        assert str(settings.jwt_public_key_file).startswith("/run/secrets/")
    if name == "registration":
        assert str(settings.jwt_private_key_file).startswith("/run/secrets/")
    if name == "scoring":
        assert urlsplit(settings.redis_url).hostname == "redis"
    if name == "scoring":
        assert settings.consume is True, "the scoring replicas drain the topics"
    if name == "gateway":
        # Scoring's HTTP goes to its readers, which never grade a batch in the event loop that answers.
        upstreams = {service: "scoring-reader" if service == "scoring" else service for service in WITH_DATABASE}
        for upstream, host in upstreams.items():
            url = urlsplit(getattr(settings, f"{upstream}_url"))
            assert (url.hostname, url.port) == (host, exposed_port())


def test_scoring_readers_serve_http_only_from_scoring_data(settings_of: SettingsOf) -> None:
    reader, drainer = settings_of("scoring-reader", "scoring"), settings_of("scoring", "scoring")
    assert installed(services()["scoring-reader"]) == ["scoring"]
    assert reader.consume is False
    assert (reader.database_url, reader.redis_url, reader.jwt_public_key_file) == (
        drainer.database_url, drainer.redis_url, drainer.jwt_public_key_file)
    waits_for = services()["scoring-reader"]["depends_on"]
    assert {target for target, rule in waits_for.items() if rule["condition"] == "service_healthy"} == {
        "postgres", "redis"}, "a reader uses no broker"
    assert services()["gateway"]["depends_on"]["scoring-reader"]["condition"] == "service_healthy"


def test_seed_demo_runs_both_seeds_against_the_right_databases(settings_of: SettingsOf) -> None:
    seed = services()["seed-demo"]
    assert seed.get("profiles") == ["demo"]
    assert set(installed(seed)) == {"registration", "exam"}
    command = " ".join(seed["command"]) if isinstance(seed["command"], list) else seed["command"]
    assert "python -m registration seed-demo" in command
    assert "python -m exam seed-demo" in command
    for service in ("registration", "exam"):
        assert urlsplit(settings_of("seed-demo", service).database_url).path == f"/{service}"


# -- compose: secrets, dependencies, images, scaling ----------------------------------------------


@pytest.mark.parametrize("name", sorted(services()))
def test_secret_files_named_in_settings_are_mounted(name: str) -> None:
    service = services()[name]
    mounted = {}
    for entry in service.get("secrets") or []:
        source = entry if isinstance(entry, str) else entry["source"]
        target = source if isinstance(entry, str) else entry.get("target", source)
        mounted[str(PurePosixPath("/run/secrets") / target)] = source
    declared = compose().get("secrets") or {}
    for variable, value in environment(service).items():
        if value.startswith("/run/secrets/"):
            assert variable.endswith("_FILE"), f"{name}: {variable} points at a secret file but is not a *_FILE setting"
            assert value in mounted, f"{name}: {value} is not mounted (service secrets: {sorted(mounted)})"
            assert mounted[value] in declared, f"{name}: secret {mounted[value]} is not declared at the top level"


def test_secrets_are_the_token_signing_key_files() -> None:
    files = {Path(secret["file"]).name for secret in compose()["secrets"].values()}
    assert files == {"token-signing.pem", "token-signing.pub.pem"}
    for secret in compose()["secrets"].values():
        assert (COMPOSE.parent / secret["file"]).resolve().parent == DEPLOY / "secrets"


@pytest.mark.parametrize("name", sorted(services()))
def test_dependencies_exist_and_can_become_healthy(name: str) -> None:
    depends_on = services()[name].get("depends_on") or {}
    if isinstance(depends_on, list):
        depends_on = {target: {"condition": "service_started"} for target in depends_on}
    for target, rule in depends_on.items():
        assert target in services(), f"{name} depends on unknown service {target}"
        assert not services()[target].get("profiles"), f"{name} depends on {target}, which only runs in a profile"
        if rule.get("condition") == "service_healthy":
            healthcheck = services()[target].get("healthcheck")
            from_image = "build" in services()[target]  # the shared Dockerfile has a HEALTHCHECK
            assert from_image or (healthcheck and not healthcheck.get("disable")), f"{target} has no health check"


def test_services_wait_for_what_they_use() -> None:
    for name in WITH_DATABASE:
        assert services()[name]["depends_on"][DATABASE_SERVER[name]]["condition"] == "service_healthy"
    for name in WITH_BROKER:
        assert services()[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services()["scoring"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert set(services()["gateway"]["depends_on"]) >= set(WITH_DATABASE)


def test_required_variables_fail_fast() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    uses = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", text)
    assert uses, "POSTGRES_PASSWORD is never used"
    assert all(use.startswith(":?") for use in uses), "POSTGRES_PASSWORD must be ${POSTGRES_PASSWORD:?message}"


@pytest.mark.parametrize("name", sorted(services()))
def test_images_have_fixed_tags(name: str) -> None:
    image = services()[name].get("image")
    if image is None:
        return
    tag = tag_of(resolve(image))
    assert tag and tag != "latest", f"{name}: image {image} needs a fixed tag"


def test_infrastructure_is_what_production_runs() -> None:
    kafka, postgres, redis = services()["kafka"], services()["postgres"], services()["redis"]
    assert kafka["image"].startswith("apache/kafka:3.9")
    kafka_env = environment(kafka)
    assert "broker" in kafka_env["KAFKA_PROCESS_ROLES"] and "controller" in kafka_env["KAFKA_PROCESS_ROLES"]
    assert "PLAINTEXT://kafka:9092" in kafka_env["KAFKA_ADVERTISED_LISTENERS"]
    assert postgres["image"].startswith("postgres:17")
    assert any(str(volume).startswith("./postgres-init:/docker-entrypoint-initdb.d") for volume in postgres["volumes"])
    init = (DEPLOY / "postgres-init" / "01-databases.sql").read_text(encoding="utf-8")
    shared = {name for name in WITH_DATABASE if DATABASE_SERVER[name] == "postgres"}
    assert set(re.findall(r"CREATE DATABASE (\w+)", init)) == shared
    exam_postgres = services()["postgres-exam"]
    assert exam_postgres["image"] == postgres["image"] and exam_postgres["command"] == postgres["command"]
    assert environment(exam_postgres)["POSTGRES_DB"] == "exam"
    assert exam_postgres["volumes"] != postgres["volumes"], "exam's server keeps its data apart"
    assert redis["image"].startswith("redis:7")
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]


def test_scalable_services_can_run_several_replicas() -> None:
    for name in SCALABLE:
        assert "container_name" not in services()[name], f"{name} cannot scale with a fixed container_name"
        assert "ports" not in services()[name], f"{name} cannot scale with a published port"


def test_only_the_gateway_is_published_on_8000() -> None:
    for name in SERVICES:
        ports = [resolve(str(port)) for port in services()[name].get("ports") or []]
        if name == "gateway":
            assert ports == ["8000:8000"]
        else:
            assert not ports, f"{name} should not be published"


def test_prometheus_runs_in_the_monitoring_profile() -> None:
    prometheus = services()["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    assert tag_of(prometheus["image"]) not in (None, "latest")
    assert any(str(volume).startswith("./prometheus:/etc/prometheus") for volume in prometheus["volumes"])


# -- the Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_images_have_fixed_tags() -> None:
    text = (ROOT / DOCKERFILE).read_text(encoding="utf-8")
    assert ":latest" not in text
    stages: set[str] = set()
    for instruction, arguments in dockerfile():
        if instruction != "FROM":
            continue
        words = [word for word in arguments.split() if not word.startswith("--")]
        image = words[0]
        if image not in stages:
            assert tag_of(image) not in (None, "latest"), f"FROM {image} needs a fixed tag"
            assert image.startswith("python:3.11-slim")
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])
    assert len(stages) >= 2, "builder and runtime stages"


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    users = [arguments for instruction, arguments in final_stage() if instruction == "USER"]
    assert users, "the final stage has no USER"
    assert re.fullmatch(r"\d+(:\d+)?", users[-1]), f"USER {users[-1]} is not numeric"
    assert int(users[-1].split(":")[0]) != 0


def test_dockerfile_has_a_healthcheck_on_healthz() -> None:
    checks = [arguments for instruction, arguments in final_stage() if instruction == "HEALTHCHECK"]
    assert len(checks) == 1 and checks[0] != "NONE"
    assert "/healthz" in checks[0]


def test_dockerfile_selects_the_service_at_run_time() -> None:
    args = [arguments for instruction, arguments in dockerfile() if instruction == "ARG"]
    assert "SERVICE" in args
    env = image_env()
    assert env["SERVICE"] == "${SERVICE}"
    for name in SERVICES:
        assert env[f"{prefix_of(name)}HOST"] == "0.0.0.0"
        assert int(env[f"{prefix_of(name)}PORT"]) == exposed_port() == 8000
    cmd = [arguments for instruction, arguments in final_stage() if instruction == "CMD"]
    assert len(cmd) == 1 and 'exec python -m \\"$SERVICE\\"' in cmd[0]
    installs = " ".join(arguments for instruction, arguments in dockerfile() if instruction == "RUN")
    assert "./contracts" in installs and "./services/kit" in installs and "--no-cache-dir" in installs


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*", "start from nothing and allow what the build needs"
    allowed = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    assert allowed == {"contracts", "services"}
    for unwanted in (".venv", ".data", "tests", ".git", "__pycache__", "*.egg-info", ".pytest_cache"):
        assert f"**/{unwanted}" in patterns, f"{unwanted} is not excluded inside contracts/ and services/"


# -- Prometheus -------------------------------------------------------------------------------------


def load_prometheus(name: str) -> dict[str, Any]:
    data = yaml.safe_load((PROMETHEUS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_prometheus_scrapes_every_service() -> None:
    config = load_prometheus("prometheus.yml")
    scraped: dict[str, str] = {}
    for job in config["scrape_configs"]:
        path = job.get("metrics_path", "/metrics")
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _, port = target.partition(":")
                scraped[host] = f"{port}{path}"
        for dns in job.get("dns_sd_configs", []):
            for host in dns["names"]:
                scraped[host] = f"{dns['port']}{path}"
    for name in (*SERVICES, "scoring-reader"):
        assert scraped.get(name) == f"{exposed_port()}/metrics", f"{name} is not scraped on its /metrics"
    rule_files = {PurePosixPath(path).name for path in config["rule_files"]}
    assert rule_files == {"alerts.yml"}


@cache
def known_series() -> dict[str, set[str]]:
    """Series name -> label names, for every metric kit.metrics registers, plus Prometheus' `up`."""
    target_labels = {"job", "instance"}
    series: dict[str, set[str]] = {"up": set(target_labels)}
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        labels = set(metric._labelnames) | target_labels
        for family in metric.describe():
            name = family.name
            if family.type == "counter":
                names = {name + "_total": labels, name + "_created": labels}
            elif family.type == "histogram":
                names = {name + "_bucket": labels | {"le"}, name + "_sum": labels, name + "_count": labels,
                         name + "_created": labels}
            elif family.type == "summary":
                names = {name: labels | {"quantile"}, name + "_sum": labels, name + "_count": labels}
            else:
                names = {name: labels}
            series.update(names)
    return series


_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                 "offset", "inf", "nan"}


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched on) for each series selector of a PromQL expression."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges, subqueries
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    found = []
    for match in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)\s*(\(|\{[^}]*\})?", expr):
        word, after = match.group(1), match.group(2) or ""
        if after == "(" or word.lower() in _PROMQL_WORDS:
            continue
        found.append((word, set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", after))))
    return found


def test_selector_parser() -> None:
    expr = ('histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket'
            '{route!~"/a|/b"}[5m]))) > 0.5 and on (job) up offset 5m == 1e3')
    assert selectors(expr) == [("http_request_duration_seconds_bucket", {"route"}), ("up", set())]
    assert "http_requests_total" in known_series() and "http_requests" not in known_series()
    assert {"http_request_duration_seconds_bucket", "dead_letters_total", "service_up"} <= set(known_series())


def assert_real_series(where: str, expr: str) -> None:
    """Every series a PromQL expression selects is one kit.metrics registers, matched on labels it has."""
    parsed = selectors(expr)
    assert parsed, f"{where}: no metric in the expression"
    for name, labels in parsed:
        assert name in known_series(), f"{where}: {name} is not a metric of kit.metrics"
        unknown = labels - known_series()[name]
        assert not unknown, f"{where}: {name} has no label {sorted(unknown)}"


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_prometheus("alerts.yml")["groups"] for rule in group["rules"]]


def test_alerts_cover_what_matters() -> None:
    used = {name for rule in alert_rules() for name, _ in selectors(rule["expr"])}
    assert {"http_requests_total", "http_request_duration_seconds_bucket", "dead_letters_total",
            "outbox_errors_total"} <= used


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_alert_uses_only_real_metrics_and_labels(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in ("warning", "critical")
    assert rule["annotations"]["summary"]
    assert_real_series(rule["alert"], rule["expr"])


def test_notify_yields_the_cpu_when_the_host_is_busy() -> None:
    assert services()["notify"]["cpu_shares"] < 1024, "notify's messages can wait for the close; submissions cannot"
    assert all("cpu_shares" not in services()[name] for name in ("exam", "scoring"))


# -- Grafana ----------------------------------------------------------------------------------------

GRAFANA = DEPLOY / "grafana"


def dashboards() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((GRAFANA / "dashboards").glob("*.json"))]


def dashboard_targets() -> list[tuple[str, str]]:
    return [(f"{board['title']}: {panel['title']}", target["expr"])
            for board in dashboards() for panel in board["panels"] for target in panel["targets"]]


def test_grafana_runs_in_the_monitoring_profile_with_the_repository_files() -> None:
    grafana = services()["grafana"]
    assert grafana["profiles"] == ["monitoring"]
    assert tag_of(grafana["image"]) not in (None, "latest")
    mounts = {str(volume).split(":")[1]: str(volume).split(":")[0] for volume in grafana["volumes"]}
    assert (COMPOSE.parent / mounts["/etc/grafana/provisioning"]).resolve() == GRAFANA / "provisioning"
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "contest.yml").read_text(encoding="utf-8"))
    path = provider["providers"][0]["options"]["path"]
    assert (COMPOSE.parent / mounts[path]).resolve() == GRAFANA / "dashboards"
    assert [resolve(str(port)) for port in grafana["ports"]] == ["127.0.0.1:3000:3000"], "loopback only"


def test_grafana_reads_the_stacks_prometheus() -> None:
    [source] = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text(
        encoding="utf-8"))["datasources"]
    url = urlsplit(source["url"])
    published = resolve(str(services()["prometheus"]["ports"][0])).rsplit(":", 1)[1]
    assert (source["type"], url.hostname, str(url.port)) == ("prometheus", "prometheus", published)
    for board in dashboards():
        for panel in board["panels"]:
            for item in (panel, *panel["targets"]):
                assert item["datasource"]["uid"] == source["uid"], f"{panel['title']}: another data source"


def test_the_dashboard_shows_what_an_operator_watches_in_a_rush() -> None:
    used = {name for _, expr in dashboard_targets() for name, _ in selectors(expr)}
    assert {"http_requests_total", "http_request_duration_seconds_bucket", "events_consumed_total",
            "consumer_batch_seconds_bucket", "dead_letters_total", "outbox_published_total", "up"} <= used
    routes = " ".join(expr for _, expr in dashboard_targets())
    assert "/attempts/{attempt_id}/submission" in routes and "/rounds/{round_id}/leaderboard/me" in routes


@pytest.mark.parametrize(("panel", "expr"), dashboard_targets(), ids=lambda value: str(value)[:60])
def test_dashboard_queries_use_only_real_metrics_and_labels(panel: str, expr: str) -> None:
    assert_real_series(panel, expr)
