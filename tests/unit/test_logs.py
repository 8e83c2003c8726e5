"""Every log line is one JSON object, whether structlog or the standard library (uvicorn, aiokafka, asyncpg)
wrote it, and no line carries an e-mail address or a Vietnamese phone number."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi import FastAPI

from kit import logs, serve
from kit.settings import ServiceSettings


@pytest.fixture(autouse=True)
def unconfigured() -> Iterator[None]:
    """Each test configures logging itself; what it installed is taken away after it."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == logs.JSON_HANDLER]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out, err = capsys.readouterr()
    assert out == ""
    return [json.loads(line) for line in err.splitlines()]


def test_the_standard_librarys_records_and_structlogs_events_are_the_same_json(
        capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("exam")
    logging.getLogger("uvicorn.error").warning("Started server process [%d]", 4242)
    logs.log.info("service started", port=8001)
    stdlib, own = lines(capsys)
    assert stdlib == {"level": "warning", "logger": "uvicorn.error", "service": "exam",
                      "msg": "Started server process [4242]", "timestamp": stdlib["timestamp"]}
    assert own == {"level": "info", "service": "exam", "msg": "service started", "port": 8001,
                   "timestamp": own["timestamp"]}
    for line in (stdlib, own):
        assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]


def test_a_records_traceback_is_inside_its_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("notify")
    try:
        raise ConnectionError("could not reach an.nguyen@example.vn")
    except ConnectionError:
        logging.getLogger("aiokafka").exception("connection lost")
    [line] = lines(capsys)
    assert line["msg"] == "connection lost" and line["logger"] == "aiokafka"
    assert "Traceback" in line["exception"] and "ConnectionError" in line["exception"]
    assert "an.nguyen" not in line["exception"]


def test_faststreams_own_plain_text_handler_is_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    import faststream  # noqa: F401 - importing it installs the handler, as a service's start does

    logs.configure("exam")
    logging.getLogger("faststream").error("subscriber failed")
    [line] = lines(capsys)
    assert (line["logger"], line["msg"], line["level"]) == ("faststream", "subscriber failed", "error")


def test_levels_below_the_configured_one_are_dropped_and_noisy_libraries_keep_to_warnings(
        capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("scoring", "WARNING")
    logs.log.info("not shown")
    logging.getLogger("asyncpg").info("not shown either")
    logs.configure("scoring", "DEBUG")  # a second call replaces the first: one handler, one line per record
    logging.getLogger("aiokafka.conn").info("heartbeat")
    logging.getLogger("asyncpg").debug("shown")
    assert [line["msg"] for line in lines(capsys)] == ["shown"]


def test_a_service_logs_json_from_the_moment_its_process_starts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the app is built and before uvicorn starts, and uvicorn is told to keep its own config out."""
    options: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **given: options.update(given))
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)  # the test process's objects are not start-up's

    def create_app(settings: ServiceSettings) -> FastAPI:
        logging.getLogger("faststream").warning("building the app")
        return FastAPI()

    create_app.__module__ = "exam.app"
    serve.run(create_app, ServiceSettings())
    [line] = lines(capsys)
    assert (line["service"], line["logger"], line["msg"]) == ("exam", "faststream", "building the app")
    assert options["log_config"] is None and options["access_log"] is False


@pytest.mark.parametrize("contact", [
    "0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "091 234 5678", "+84912345678",
    "+84 912 345 678", "+84-91-234-5678", "(+84) 912 345 678", "+84 0912 345 678", "84912345678",
    "%2B84912345678", "02513812345", "0251 381 2345", "+84 251 381 2345",
    "an.nguyen@example.vn", "Tran.Thi-B+lop9@so.gd.binhphuoc.gov.vn", "an.nguyen%40example.vn", "cúc@bưu-điện.vn",
])
def test_contact_data_is_masked_wherever_it_sits_in_a_text(contact: str) -> None:
    for text in (contact, f"smtp 550 5.1.1 <{contact}>: no such mailbox", f'http 400: {{"to":"{contact}"}}',
                 f"số {contact}, không hợp lệ.", f"/sms?to={contact}&lang=vi"):
        masked = logs.redact(text)
        assert contact not in masked and ("[phone]" in masked or "[email]" in masked), masked
        assert not any(c.isdigit() for c in masked.replace("550 5.1.1", "").replace("400", "")), masked


@pytest.mark.parametrize("look_alike", [
    "3f9a1c2e-0912-4345-8678-091234567890",  # a UUID (an event id) with phone-like groups
    "09123456-7890-4abc-8def-012345678901",
    "round-late-3f9a1c", "delivery-0912345678901",  # ids with long digit runs
    "2026-11-24T18:38:30.084123+00:00", "2026-11-24 18:38:30,091234567",  # timestamps
    "1732473510123", "091234567890123", "took 0.912345678 s", "84.123456789",  # counts, durations, floats
    "127.0.0.1:8412", "10.84.123.45:9092", "port 8412345",  # addresses and ports
    "postgresql://postgres@127.0.0.1:5432/postgres", "faststream@0.5.28", "+8491****678", "a***@example.vn",
    "attempts.v1.dlt offset 84123456", "mã 482913",
])
def test_what_only_looks_like_contact_data_is_left_alone(look_alike: str) -> None:
    assert logs.redact(look_alike) == look_alike


def test_every_string_in_an_event_is_redacted_and_numbers_are_not(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("registration")
    logs.log.warning("login failed for 0987654321", phones=["0912345678", 3], reply={"to": "a@b.vn"},
                     count=84912345678, event_id="3f9a1c2e-0912-4345-8678-091234567890")
    logging.getLogger("uvicorn.error").warning("bad request from %s", "+84 912 345 678")
    own, stdlib = lines(capsys)
    assert own["msg"] == "login failed for [phone]" and own["phones"] == ["[phone]", 3]
    assert own["reply"] == {"to": "[email]"} and own["count"] == 84912345678
    assert own["event_id"] == "3f9a1c2e-0912-4345-8678-091234567890"
    assert stdlib["msg"] == "bad request from [phone]"
