"""Start the touchscreen app (built with the kiosk screen)."""

from __future__ import annotations

import sys

from kiosk.config import Config


def run(cfg: Config) -> int:
    print("the kiosk screen is not built yet", file=sys.stderr)
    return 1
