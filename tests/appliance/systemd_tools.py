"""Run systemd's offline tools (systemd-analyze, sysusers, tmpfiles) against a staged root.

This machine does not run systemd as PID 1, so nothing here starts a unit: the tools read the
unit files as systemd would and report what it would complain about.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO / "systemd"
UNITS = ("kiosk.service", "firmware-bridge.service", "kiosk-sync.service")
RECOVER_UNIT = "kiosk-update-recover.service"  # root, oneshot, at boot only
ALL_UNITS = (*UNITS, RECOVER_UNIT)
# The exposure ceilings: every unit at most 3.0, the bridge and sync at most 2.0.
MAX_EXPOSURE = {"kiosk.service": 3.0, "firmware-bridge.service": 2.0,
                "kiosk-sync.service": 2.0, RECOVER_UNIT: 2.0}


@dataclass
class ToolResult:
    returncode: int
    stdout: str
    stderr: str


def run_tool(*argv: str | Path, timeout: float = 60) -> ToolResult:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout)
    return ToolResult(proc.returncode, proc.stdout, proc.stderr)


def stage_root(root: Path, units_dir: Path = SYSTEMD_DIR) -> Path:
    """Copy the units into ``root/etc/systemd/system`` and make every ExecStart binary exist
    there (an executable stub: verify only checks that the file is executable)."""
    system = root / "etc/systemd/system"
    system.mkdir(parents=True, exist_ok=True)
    for unit in units_dir.glob("*.service"):
        shutil.copy(unit, system / unit.name)
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                binary = root / line.split("=", 1)[1].split()[0].lstrip("-@+!:").lstrip("/")
                binary.parent.mkdir(parents=True, exist_ok=True)
                binary.write_text("#!/bin/sh\nexit 0\n")
                binary.chmod(0o755)
    return root


def verify_strict(root: Path, units: tuple[str, ...] = ALL_UNITS) -> ToolResult:
    """``systemd-analyze verify`` that counts warnings as failures: plain verify exits 0 on an
    unknown key, so any output on stderr is a failure too."""
    result = run_tool("systemd-analyze", "verify", "--recursive-errors=no", f"--root={root}",
                      *units)
    if result.stderr.strip() and result.returncode == 0:
        result.returncode = 1
    return result


_EXPOSURE = re.compile(r"Overall exposure level for (\S+): (\d+\.\d)")


def security(unit_path: Path, threshold: float) -> tuple[ToolResult, float]:
    """``systemd-analyze security --offline=true --threshold=N`` on one unit file; the exposure
    parsed from its report (threshold takes whole tenths: N is the exposure x 10)."""
    result = run_tool("systemd-analyze", "security", "--offline=true",
                      f"--threshold={int(round(threshold * 10))}", "--no-pager", unit_path)
    found = _EXPOSURE.search(result.stdout + result.stderr)
    if not found:
        raise AssertionError(f"no exposure level in the report:\n{result.stdout}{result.stderr}")
    return result, float(found.group(2))
