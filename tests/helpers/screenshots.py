"""Screenshots for people to look at, without tests writing outside their tmp_path.

Every screenshot is taken under the test's tmp_path. Run the tests with
``KIOSK_TEST_SCREENSHOTS=DIR`` (``./dev screenshots`` sets it to test-artifacts/screenshots)
to have them copied to DIR as well; without it nothing is written anywhere else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

ENV = "KIOSK_TEST_SCREENSHOTS"


def keep_screenshots(shots: Iterable[str | Path], subdir: str = "") -> None:
    """Copy these files to the folder named by KIOSK_TEST_SCREENSHOTS, when it is set."""
    target = os.environ.get(ENV)
    if not target:
        return
    folder = Path(target) / subdir
    folder.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        shutil.copy(shot, folder / Path(shot).name)
