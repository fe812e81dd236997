"""Session fixtures shared by the appliance tests (imported by their modules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appliance.wheels import build_wheel, wheelhouse


@pytest.fixture(scope="session")
def kiosk_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Wheels of this repository at test versions, and a wheelhouse of their dependencies."""
    work = tmp_path_factory.mktemp("wheels")
    wheels = {"0.9.0": build_wheel(work, "0.9.0"), "0.9.1": build_wheel(work, "0.9.1")}
    wheels["house"] = wheelhouse(work, wheels["0.9.0"])
    return wheels
