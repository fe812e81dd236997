"""The back office in a real browser (headless chromium + chromedriver from Debian, Selenium)
on each database backend; the screenshots are taken under tmp_path and copied for people to
look at when KIOSK_TEST_SCREENSHOTS is set (tests/helpers/screenshots.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS
from tests.central.test_django_cases import run_cases
from tests.helpers.screenshots import keep_screenshots


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
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("*.png"))) == 24


@pytest.mark.parametrize("backend", BACKENDS)
def test_donor_pages_in_a_browser(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("donor_browser", backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("*.png"))) == 18


@pytest.mark.parametrize("backend", BACKENDS)
def test_pledge_page_in_a_browser(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("pledge_browser", backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("pledge*.png"))) == 14


@pytest.mark.parametrize("backend", BACKENDS)
def test_signup_page_in_a_browser(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("signup_browser", backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("signup*.png"))) == 16


@pytest.mark.parametrize("backend", BACKENDS)
def test_admin_pages_in_a_browser(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("admin_browser", backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("admin-*.png"))) == 12
