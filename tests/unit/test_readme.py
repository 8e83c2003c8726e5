"""The README is the front door: its quick start and configuration table must stay true."""

from __future__ import annotations

import re
from pathlib import Path

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
