"""The back office, the photo form and heartbeat pruning: Django test cases (Django's test
client against the real admin views, the real forms and commands), each module run by
``central test`` in a process of its own on each database backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS, Templates

REPO = Path(__file__).resolve().parents[2]


def run_cases(module: str, backend: str, request: pytest.FixtureRequest,
              workdir: Path) -> None:
    # The runner's test database is made beforehand from the session's migrated template
    # and kept (--keepdb): the runner's own migration would cost seconds per module.
    templates: Templates = request.getfixturevalue("central_templates")
    if backend == "sqlite":  # central.settings.test names the test file after the database
        url = f"sqlite:///{workdir / 'central.sqlite3'}"
        templates.copy(backend, workdir / "central.sqlite3.test")
    else:
        url = templates.copy(backend)
        templates.copy(backend, name=f"test_{url.rsplit('/', 1)[1]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="central.settings.test", DATABASE_URL=url,
               HYPOTHESIS_STORAGE_DIRECTORY=str(workdir / "hypothesis"))
    done = subprocess.run(
        [sys.executable, "-m", "central", "test", f"tests.central.cases.{module}",
         "--noinput", "--keepdb", "-v", "2"], env=env, cwd=REPO, capture_output=True,
        text=True, timeout=600)
    # The runner reports on stderr; every case must have run and passed.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\nOK" in done.stderr and "skipped" not in done.stderr, done.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_photo_form(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_cases("photo", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_heartbeat_pruning(backend: str, request: pytest.FixtureRequest,
                           tmp_path: Path) -> None:
    run_cases("prune", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backoffice_roles(backend: str, request: pytest.FixtureRequest,
                          tmp_path: Path) -> None:
    run_cases("backoffice", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_annual_receipts_and_retention(backend: str, request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    run_cases("claims", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sponsors_and_shop_totals(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path) -> None:
    run_cases("sponsors", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pledges(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_cases("pledges", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_donation_days_agree_with_the_donations(backend: str, request: pytest.FixtureRequest,
                                                tmp_path: Path) -> None:
    run_cases("donation_days", backend, request, tmp_path)
