"""Real wheels of this repository, built in a temporary directory with a chosen version."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.appliance.systemd_tools import REPO

SOURCES = ("kiosk", "assets", "firmware_bridge", "central", "central_api", "setup.cfg", "setup.py",
           "pyproject.toml", "README.md")


def build_wheel(work: Path, version: str, patch: dict[str, str] | None = None) -> Path:
    """Copy the sources, set ``kiosk.__version__``, append ``patch`` texts to files, build."""
    src = work / f"src-{version}"
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif origin.exists():
            shutil.copy(origin, src / name)
    (src / "kiosk/__init__.py").write_text(f'__version__ = "{version}"\n')
    for rel, extra in (patch or {}).items():
        with open(src / rel, "a", encoding="utf-8") as f:
            f.write(extra)
    out = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-w", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob(f"donation_kiosk-{version}-*.whl"))


def wheelhouse(work: Path, wheel: Path) -> Path:
    """The wheel's dependencies as wheels (from pip's cache after the first run), so that
    every release installs with --no-index, as on an offline fleet."""
    house = work / "wheelhouse"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet",
                    "--disable-pip-version-check", "-w", str(house), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return house
