"""Shared fixtures: real configuration files and real ledgers in temporary directories."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits

# The bridge fixtures (simulator on a pty, the service on a socket) serve several packages.
pytest_plugins = ["tests.helpers.bridge_fixtures"]

# CI runs the property tests on a fixed seed, so a green run is reproducible and a red one can
# be replayed; developers' runs keep exploring new inputs every time. No per-example deadline
# in either: on a loaded 2-core machine a slow example is noise, not a failure (each test is
# still bounded by its example count).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True,
                          deadline=None)
settings.register_profile("dev", print_blob=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]


def _untracked_files() -> set[str] | None:
    """Files in the checkout that git neither tracks nor ignores (None: not a git checkout)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                             cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return {line[3:] for line in out.stdout.splitlines() if line.startswith("?? ")}


@pytest.fixture(scope="session", autouse=True)
def tests_leave_the_checkout_clean() -> Iterator[None]:
    """Tests write only under their temporary directories: a file the suite leaves in the
    checkout (a test ledger once landed at the repository's root) fails the run."""
    before = _untracked_files()
    yield
    after = _untracked_files()
    if before is not None and after is not None:
        left = sorted(after - before)
        assert not left, f"the tests left files in the checkout: {left}"


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short directory under /tmp: a Unix socket's path must stay under 108 bytes, which
    pytest's own tmp_path can exceed."""
    d = Path(tempfile.mkdtemp(prefix="ks-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_config(directory: Path, **sections: dict[str, Any]) -> Path:
    """Write a valid kiosk.toml under ``directory``; ``sections`` override or add keys."""
    values: dict[str, dict[str, Any]] = {
        "device": {"id": "test-kiosk", "data_dir": str(directory / "data"),
                   "min_free_disk_mb": 1},
        "api": {"base_url": "http://127.0.0.1:9", "token_file": str(directory / "token")},
        "terminal": {"device": str(directory / "terminal"),
                     "bridge_socket": str(directory / "bridge.sock"),
                     "journal": str(directory / "journal.db")},
    }
    for name, keys in sections.items():
        values.setdefault(name, {}).update(keys)
    path = directory / "kiosk.toml"
    path.write_text(configmod.render_toml(values), encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def cfg(config_file: Path) -> configmod.Config:
    return configmod.load(config_file)


GENEROUS = Limits(max_donation_cents=15_000, offline_cap_cents=10_000_000, min_free_disk_bytes=0)


@pytest.fixture
def ledger(tmp_path: Path):
    led = Ledger.open(tmp_path / "kiosk.db", GENEROUS)
    yield led
    led.close()
