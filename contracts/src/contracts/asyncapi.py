"""Generate the AsyncAPI 3.0 document from the event models and topics.

`python -m contracts.asyncapi` prints it; the committed `contracts/asyncapi.yaml` must equal it
(a test fails when it is stale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contracts.envelope import Envelope
from contracts.topics import TOPICS

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.yaml"


def _message(event: type, topic_key: str) -> dict[str, Any]:
    envelope = Envelope.model_json_schema(ref_template="#/components/schemas/{model}")
    envelope.pop("title", None)
    envelope["properties"]["payload"] = {"$ref": f"#/components/schemas/{event.__name__}"}
    envelope["properties"]["type"] = {"const": event.__name__, "type": "string"}
    envelope["properties"]["version"] = {"const": event.VERSION, "type": "integer"}
    return {
        "name": event.__name__,
        "title": f"{event.__name__} v{event.VERSION}",
        "summary": (event.__doc__ or "").strip(),
        "contentType": "application/json",
        "payload": envelope,
        "correlationId": {"location": "$message.payload#/event_id"},
        "bindings": {"kafka": {"key": {"type": "string", "description": topic_key}}},
    }


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for topic in TOPICS:
        for event in topic.events:
            schema = event.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[event.__name__] = schema
    return schemas


def document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        channel_id = topic.name.replace(".", "_")
        channels[channel_id] = {
            "address": topic.name,
            "description": f"{topic.description}. Key: {topic.key}. Dead letters: {topic.dead_letter}.",
            "messages": {event.__name__: _message(event, topic.key) for event in topic.events},
        }
        refs = [{"$ref": f"#/channels/{channel_id}/messages/{e.__name__}"} for e in topic.events]
        operations[f"{topic.producer}_sends_{channel_id}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{channel_id}"}, "messages": refs,
        }
        for consumer in topic.consumers:
            operations[f"{consumer}_receives_{channel_id}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{channel_id}"}, "messages": refs,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Contest platform events",
            "version": "1.0.0",
            "description": "Events between the registration, exam, scoring and notify services.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": _schemas()},
    }


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=True, allow_unicode=True, width=100)


if __name__ == "__main__":
    print(render(), end="")
