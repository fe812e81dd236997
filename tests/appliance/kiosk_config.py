"""A valid kiosk.toml in a temporary directory, for the appliance tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.core.config import render_toml


def write_config(tmp: Path, **sections: dict[str, Any]) -> Path:
    """Write ``tmp/kiosk.toml`` with its data dir in ``tmp/data``; ``sections`` override."""
    values: dict[str, dict[str, Any]] = {
        "device": {"id": "test-kiosk-01", "data_dir": str(tmp / "data"), "min_free_disk_mb": 0},
        "api": {"base_url": "http://127.0.0.1:9", "token_file": str(tmp / "device-token")},
        "terminal": {"bridge_socket": str(tmp / "bridge.sock"),
                     "journal": str(tmp / "bridge-journal.db")},
    }
    for name, overrides in sections.items():
        values.setdefault(name, {}).update(overrides)
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    path = tmp / "kiosk.toml"
    path.write_text(render_toml(values))
    return path
