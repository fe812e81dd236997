"""``central``: Django's manage.py for the central service, installed as a console script.

``central migrate``, ``central serve --bind HOST:PORT``, ``central createsuperuser``,
``central demo-network``, ``central enroll-code --device ID``, ``central revoke --device ID``...
Settings come from ``DJANGO_SETTINGS_MODULE`` (``central.settings.production`` when unset).
``central --env-file FILE COMMAND ...`` first sets the variables of the service's environment
file (systemd's EnvironmentFile syntax; they win over the caller's, as in the unit).
"""

from __future__ import annotations

import os
import sys

from central import envfile


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--env-file"] and len(args) >= 2:
        try:
            os.environ.update(envfile.load(args[1]))
        except (OSError, envfile.EnvFileError) as e:
            print(f"central: --env-file: {e}", file=sys.stderr)
            return 2
        args = args[2:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "central.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["central", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
