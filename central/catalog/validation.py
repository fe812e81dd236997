"""Decoder of the featured order a kiosk sends."""

from __future__ import annotations

from typing import Any

from central.common.decode import Invalid


def featured_body(body: Any) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("project_ids"), list):
        raise Invalid("body: expected an object with a 'project_ids' list")
    ids = body["project_ids"]
    if len(ids) > 100 or not all(isinstance(i, str) and 0 < len(i) <= 128 for i in ids):
        raise Invalid("project_ids: expected at most 100 project ids")
    if len(set(ids)) != len(ids):
        raise Invalid("project_ids: a project appears twice")
    return ids
