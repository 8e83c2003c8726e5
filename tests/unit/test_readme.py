"""The README is the front door: its quick start and configuration table must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from contracts.topics import TOPICS
from exam.settings import ExamSettings
from gateway.settings import GatewaySettings
from kit.settings import ServiceSettings
from notify.settings import NotifySettings
from registration.settings import RegistrationSettings
from scoring.settings import ScoringSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_quick_start_runs_the_platform_then_the_tests() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).strip().splitlines() == ["python3 dev.py up", "python3 dev.py test"]


def test_every_setting_is_in_the_configuration_table() -> None:
    for name in ServiceSettings.model_fields:
        assert f"<PREFIX>{name.upper()}" in README, name
    for settings in (RegistrationSettings, ExamSettings, ScoringSettings, NotifySettings, GatewaySettings):
        prefix = settings.model_config["env_prefix"]
        for name in set(settings.model_fields) - set(ServiceSettings.model_fields):
            assert f"{prefix}{name.upper()}" in README, f"{prefix}{name.upper()}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "python3 dev.py test" in ci


def test_the_services_table_says_who_publishes_and_consumes_each_topic_as_the_contracts_do() -> None:
    table = {}
    for line in README.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`services/"):
            service = cells[0].strip("`").removeprefix("services/")
            table[service] = (set(re.findall(r"`([\w.-]+\.v\d+)`", cells[2])),
                              set(re.findall(r"`([\w.-]+\.v\d+)`", cells[3])))
    assert set(table) == {"registration", "exam", "scoring", "notify", "gateway"}
    for service, (publishes, consumes) in table.items():
        assert publishes == {t.name for t in TOPICS if t.producer == service}, service
        assert consumes == {t.name for t in TOPICS if service in t.consumers}, service
