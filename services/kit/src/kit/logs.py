"""Structured JSON logs: one object a line, from structlog and the standard library alike.

Personal contact data is never passed to a logger. Texts quoted from elsewhere (a provider's reply, a
driver's error) may still carry some, so every string in a line is searched for e-mail addresses and
Vietnamese phone numbers, and those are masked.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

EMAIL = re.compile(
    # The top-level domain is letters only, so "postgres@127.0.0.1" in a connection string is left alone;
    # %40 is "@" in a URL's query.
    r"[\w.%+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
PHONE = re.compile(
    r"""(?<![\w.+-])            # not the middle of a longer number, a UUID, a float or an IP address
    (?: (?:\+|%2[Bb]|\(\+)84\)?[ .-]?0?   # +84 912..., (+84) 912..., URL-encoded, with a needless 0 at times
      | 84(?=[1-9])                       # 84912...: no separator, or "84.123456789" (a float) would match
      | 0 )                               # 0912...: no separator after the 0, or "0.123456789" would match
    [1-9](?:[ .-]?\d){8,9}              # 9 digits for a mobile, 10 for a landline, as people group them
    (?!\w)""",
    re.VERBOSE)
JSON_HANDLER = "kit.logs"  # the name of the handler configure() installs, so a second call replaces it


def redact(text: str) -> str:
    """The text with every e-mail address and Vietnamese phone number replaced by a placeholder."""
    if "@" in text or "%40" in text:
        text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


def configure(service: str, level: str = "INFO") -> None:
    """structlog's events and the standard library's records (uvicorn, aiokafka, faststream, asyncpg) as
    the same JSON on stderr. Called as the process starts and again by the app's lifespan; each call
    replaces the last."""
    numeric = logging.getLevelName(level)
    # What the line says is redacted before the fields added here (level, time, service), which never need it.
    said: list[Processor] = [structlog.processors.format_exc_info, _redact_values]
    added: list[Processor] = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
                              _add_service(service)]
    rendered: list[Processor] = [structlog.processors.EventRenamer("msg"),
                                 structlog.processors.JSONRenderer(ensure_ascii=False)]
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *said, *added, *rendered],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # A write and a flush, as print() did; the stream is looked up at each line (see _Stderr).
        logger_factory=structlog.WriteLoggerFactory(_Stderr()),  # type: ignore[arg-type]
    )
    root = logging.getLogger()
    # Only our own handler is replaced: others (pytest's log capture, say) are not ours to remove.
    for old in [h for h in root.handlers if h.get_name() == JSON_HANDLER]:
        root.removeHandler(old)
    root.addHandler(_json_handler(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*said, *added, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendered])))
    root.setLevel(numeric)
    # faststream gives its logger a plain-text handler of its own as it is imported, and stops its records
    # from reaching the root's: taken back, so they are JSON too.
    faststream = logging.getLogger("faststream")
    for plain in [h for h in faststream.handlers if type(h) is logging.StreamHandler]:
        faststream.removeHandler(plain)
    faststream.propagate = True
    # aiokafka and faststream log through the standard library; keep their noise at warning.
    for noisy in ("aiokafka", "faststream", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _json_handler(formatter: logging.Formatter) -> logging.Handler:
    handler = logging.StreamHandler(_Stderr())  # type: ignore[arg-type]
    handler.set_name(JSON_HANDLER)
    handler.setFormatter(formatter)
    return handler


class _Stderr:
    """sys.stderr as it is when a line is written, not when logging was configured: a test's capture of
    stderr ends with the test, and a handler kept on it would write to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _add_service(service: str) -> Processor:
    def add(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service
        return event_dict
    return add


def _redact_values(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if value.__class__ is str:  # most values: tested here rather than in a call per value
            if len(value) >= 10 or "@" in value:  # shorter, no phone number fits
                event_dict[key] = redact(value)
        elif isinstance(value, list | tuple | dict):
            event_dict[key] = _redacted(value)
    return event_dict


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]  # rendered as a JSON array either way
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value  # numbers, booleans, None: no contact data, and a count must stay a count


log = structlog.get_logger()
