"""Donations and heartbeats in the contract's shape, for the central service's tests."""

from __future__ import annotations

import uuid
from typing import Any


def donation(seq: int, project_id: str = "p1", amount: int = 500, state: str = "approved",
             **over: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "seq": seq, "boot_id": "boot-1", "project_id": project_id,
            "amount_cents": amount, "currency": "EUR", "state": state,
            "created_at": "2026-11-20T10:00:00.000Z", "finished_at": "2026-11-20T10:00:30.000Z",
            "terminal": {"auth_code": "A1B2C3" if state == "approved" else None,
                         "card_suffix": "4242" if state == "approved" else None,
                         "reason": None if state == "approved" else "declined"}, **over}


def heartbeat(**over: Any) -> dict[str, Any]:
    return {"version": "1.4.0", "backlog_count": 3, "backlog_cents": 1500,
            "oldest_unsynced_seq": 7, "unknown_count": 0, "quarantined_count": 0,
            "terminal": {"connected": True}, "disk_free_bytes": 10**9,
            "clock_synchronized": True, "last_error": None, **over}


def project(pid: str, association: str, image: dict[str, Any] | None = None,
            **over: Any) -> dict[str, Any]:
    return {"id": pid, "association": association, "title": f"Projet {pid}",
            "summary": "Un projet du quartier.", "image": image, "goal_cents": 10000,
            "raised_cents": 2500, "currency": "EUR", "url": None, "starts_on": None,
            "ends_on": None, "active": True, **over}
