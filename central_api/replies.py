"""What a route answers: status, body, content type and headers, and the JSON error shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, doc: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(doc, ensure_ascii=False).encode(), JSON_TYPE, headers)


def error_reply(status: int, code: str, message: str, **headers: str) -> Reply:
    return json_reply(status, {"error": {"code": code, "message": message}}, **headers)
