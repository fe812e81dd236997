"""The engagement page (central.insights): Django test cases, and the page in real Chromium
with screenshots at phone and desktop size, each on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS
from tests.central.test_django_cases import run_cases
from tests.helpers.screenshots import keep_screenshots


@pytest.mark.parametrize("backend", BACKENDS)
def test_insights_roles_and_sums(backend: str, request: pytest.FixtureRequest,
                                 tmp_path: Path) -> None:
    run_cases("insights", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_insights_in_a_browser(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases("insights_browser", backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob("*.png"))) == 8
