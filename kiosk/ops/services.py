"""What systemd says about the kiosk's services, and whether the clock is synchronised.

Read-only queries for ``kioskctl status`` and ``self-test``; on a machine where systemd is not
PID 1 they report that plainly instead of failing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.ops.updater import UNITS

SHOW_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "NRestarts",
                   "ActiveEnterTimestamp", "Result")
# systemd-timesyncd touches this file once the clock is synchronised (systemd >= 239).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
# Exists only when systemd is PID 1 (the test sd_booted(3) makes).
SYSTEMD_RUNTIME = Path("/run/systemd/system")


def systemd_booted(runtime: Path = SYSTEMD_RUNTIME) -> bool:
    """True on a device; False on a development machine or in a container."""
    return runtime.is_dir()


def parse_show(text: str) -> list[dict[str, str]]:
    """Blocks of ``Key=Value`` lines separated by blank lines (``systemctl show`` output)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition("=")
        if sep and key and key.isidentifier():
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def unit_states(units: Sequence[str] = UNITS, timeout: float = 10) -> dict[str, Any]:
    """``{"available": bool, "units": {name: {...}}, "error": str|None}``."""
    argv = ["systemctl", "show", "--no-pager", "-p", ",".join(SHOW_PROPERTIES), *units]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"available": False, "units": {}, "error": f"systemctl: {e}"}
    if done.returncode != 0:
        said = " ".join((done.stderr or done.stdout).split())
        return {"available": False, "units": {}, "error": said or f"exit {done.returncode}"}
    found = {b.get("Id", ""): _unit_summary(b) for b in parse_show(done.stdout)}
    return {"available": True, "units": {u: found.get(u, {"active": False, "state": "?"})
                                         for u in units}, "error": None}


def _unit_summary(block: dict[str, str]) -> dict[str, Any]:
    restarts = block.get("NRestarts", "")
    return {"active": block.get("ActiveState") == "active",
            "state": f"{block.get('ActiveState', '?')}/{block.get('SubState', '?')}",
            "loaded": block.get("LoadState") == "loaded",
            "restarts": int(restarts) if restarts.isdigit() else None,
            "since": block.get("ActiveEnterTimestamp") or None,
            "result": block.get("Result") or None}


def unit_problems(states: dict[str, Any]) -> list[str]:
    """Plain sentences for the operator about services that are not running."""
    if not states["available"]:
        return [f"cannot ask systemd about the services: {states['error']}"]
    problems = []
    for name, unit in states["units"].items():
        if not unit.get("loaded", False):
            problems.append(f"{name} is not installed")
        elif not unit["active"]:
            problems.append(f"{name} is not running ({unit['state']}, last result "
                            f"{unit.get('result')})")
    return problems


def clock_synchronised(flag: Path = TIMESYNC_FLAG) -> bool:
    return flag.exists()
