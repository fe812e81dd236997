"""Pushing the shop's featured selection when the settings screen changed it.

The screen bumps the setting ``featured_version`` on every change; after a successful
``PUT …/featured`` this module records that version as ``featured_pushed_version``.
"""

from __future__ import annotations

from kiosk.core.ledger import Ledger
from kiosk.sync.client import ApiClient


def pending_version(ledger: Ledger) -> int | None:
    """The version to push, or None when the server already has the current selection."""
    version = ledger.get_setting("featured_version")
    if version is None or version == ledger.get_setting("featured_pushed_version"):
        return None
    return version


def push_if_changed(ledger: Ledger, client: ApiClient, device_id: str) -> bool:
    version = pending_version(ledger)
    if version is None:
        return False
    ids = ledger.featured_ids()
    client.call("PUT", f"v1/devices/{device_id}/featured", body={"project_ids": ids})
    ledger.set_setting("featured_pushed_version", version)
    return True
