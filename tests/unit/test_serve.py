"""Starting a service's process: its CPU priority comes from its settings, and can only be lowered; its
garbage collector's thresholds are the service's own, and the objects of start-up are left out of collections."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from kit import serve
from kit.settings import ServiceSettings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"nice": [], "gc": []}
    monkeypatch.setattr(serve.os, "nice", lambda n: seen["nice"].append(n))
    monkeypatch.setattr(serve.gc, "set_threshold", lambda *t: seen["gc"].append(("thresholds", t)))
    monkeypatch.setattr(serve.gc, "freeze", lambda: seen["gc"].append(("freeze",)))
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **options: seen.update(app=app, options=options))
    return seen


def test_a_service_that_can_wait_lowers_its_priority_before_it_serves(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings(cpu_nice=10, port=8123))
    assert started["nice"] == [10]
    assert started["options"]["port"] == 8123


def test_by_default_the_priority_is_left_alone(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings())
    assert started["nice"] == []


def test_the_collector_gets_the_services_thresholds_and_leaves_start_up_objects_out(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings(), (200_000, 20, 100))
    assert started["gc"] == [("thresholds", (200_000, 20, 100)), ("freeze",)]


def test_without_thresholds_of_its_own_a_service_keeps_pythons(started: dict[str, Any]) -> None:
    serve.run(lambda settings: FastAPI(), ServiceSettings())
    assert started["gc"] == [("thresholds", serve.PYTHON_GC_THRESHOLDS), ("freeze",)]


@pytest.mark.parametrize("nice", [-1, 20])
def test_a_priority_can_only_be_lowered_within_the_kernels_range(nice: int) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(cpu_nice=nice)
