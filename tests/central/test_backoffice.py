"""The back office's pages (central.backoffice) on each database backend: Django test cases
in a process of their own (see test_django_cases.py for why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.conftest import BACKENDS
from tests.central.test_django_cases import run_cases


@pytest.mark.parametrize("backend", BACKENDS)
def test_backoffice_pages(backend: str, request: pytest.FixtureRequest,
                          tmp_path: Path) -> None:
    run_cases("backoffice_pages", backend, request, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reconciliation_pages(backend: str, request: pytest.FixtureRequest,
                              tmp_path: Path) -> None:
    run_cases("reconciliation", backend, request, tmp_path)
