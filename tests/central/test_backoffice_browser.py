"""The back office in a real browser (headless chromium + chromedriver from Debian, Selenium)
on each database backend; the screenshots are copied to test-artifacts/screenshots/web/ to
be looked at (that folder is not versioned)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS
from tests.central.test_django_cases import REPO, run_cases

ARTIFACTS = REPO / "test-artifacts" / "screenshots" / "web"


@pytest.mark.parametrize("backend", BACKENDS)
def test_backoffice_in_a_browser(backend: str, request: pytest.FixtureRequest,
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        assert Path(tool).exists(), f"{tool} is missing: ./dev installs chromium-driver"
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("backoffice_browser", backend, request, tmp_path)
    finally:
        if shots.exists():
            shutil.copytree(shots, ARTIFACTS / backend, dirs_exist_ok=True)
    assert len(list(shots.glob("*.png"))) == 24
