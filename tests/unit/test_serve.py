"""Starting a service's process: its CPU priority comes from its settings, and can only be lowered."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from kit import serve
from kit.settings import ServiceSettings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"nice": []}
    monkeypatch.setattr(serve.os, "nice", lambda n: seen["nice"].append(n))
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **options: seen.update(app=app, options=options))
    return seen


def test_a_service_that_can_wait_lowers_its_priority_before_it_serves(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings(cpu_nice=10, port=8123))
    assert started["nice"] == [10]
    assert started["options"]["port"] == 8123


def test_by_default_the_priority_is_left_alone(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings())
    assert started["nice"] == []


@pytest.mark.parametrize("nice", [-1, 20])
def test_a_priority_can_only_be_lowered_within_the_kernels_range(nice: int) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(cpu_nice=nice)
