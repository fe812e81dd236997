"""``kiosk --demo``: the whole kiosk on a throwaway data directory."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from kiosk import config as configmod
from kiosk.ledger import Ledger, Limits


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def write_demo_config(workdir: Path, api_url: str = "http://127.0.0.1:8765") -> Path:
    values = {
        "device": {"id": "demo-kiosk", "data_dir": str(workdir / "data"), "min_free_disk_mb": 50},
        "api": {"base_url": api_url, "token_file": str(workdir / "device-token")},
        "terminal": {"device": str(workdir / "terminal"),
                     "bridge_socket": str(workdir / "bridge.sock"),
                     "journal": str(workdir / "bridge" / "journal.db")},
    }
    path = workdir / "kiosk.toml"
    path.write_text(configmod.render_toml(values))
    configmod.load(path)  # the demo's own file must pass the same validation
    return path


def run() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    cfg = configmod.load(write_demo_config(workdir))
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    print(f"demo data directory: {workdir}")
    print(f"ledger ready at {cfg.ledger_path} (schema version "
          f"{ledger.summary()['schema_version']})")
    ledger.close()
    if not has_display():
        print("No display found (DISPLAY / WAYLAND_DISPLAY unset): the kiosk screen needs one. "
              "Run this from a desktop session, or on the device's touchscreen.",
              file=sys.stderr)
    print("The screen, terminal bridge and sync are not built yet; try "
          f"'kioskctl --config {cfg.path} status'.")
    return 0
