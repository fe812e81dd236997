"""``central``: Django's manage.py for the central service, installed as a console script.

``central migrate``, ``central serve --bind HOST:PORT``, ``central createsuperuser``,
``central demo-network``, ``central enroll-code --device ID``, ``central revoke --device ID``...
Settings come from ``DJANGO_SETTINGS_MODULE`` (``central.settings.production`` when unset).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "central.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["central", *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
