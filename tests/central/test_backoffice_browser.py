"""The back office and the donor's pages in a real browser (headless chromium + chromedriver
from Debian, Selenium) on each database backend. Each case module walks its pages and takes
screenshots at 390x844 and 1440x900 under tmp_path; they are copied for people to look at
when KIOSK_TEST_SCREENSHOTS is set (tests/helpers/screenshots.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS
from tests.central.test_django_cases import run_cases
from tests.helpers.screenshots import keep_screenshots

# (case module under tests/central/cases, the screenshots it must have taken, how many)
WALKS = [
    ("backoffice_browser", "*.png", 24),  # fleet, device, money, shop, reconciliation
    ("donor_browser", "*.png", 18),  # receipt, claim, withdrawal, annual receipts
    ("pledge_browser", "pledge*.png", 14),
    ("signup_browser", "signup*.png", 16),
    ("admin_browser", "admin-*.png", 12),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("cases", "pattern", "count"), WALKS, ids=[w[0] for w in WALKS])
def test_pages_in_a_browser(cases: str, pattern: str, count: int, backend: str,
                            request: pytest.FixtureRequest, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        assert Path(tool).exists(), f"{tool} is missing: ./dev installs chromium-driver"
    shots = tmp_path / "screenshots"
    monkeypatch.setenv("BACKOFFICE_SCREENSHOTS", str(shots))
    try:
        run_cases(cases, backend, request, tmp_path)
    finally:
        keep_screenshots(sorted(shots.glob("*.png")), f"web/{backend}")
    assert len(list(shots.glob(pattern))) == count
