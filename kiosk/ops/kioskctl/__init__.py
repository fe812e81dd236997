"""kioskctl: the operator's command line, used over SSH.

Exit codes: 0 ok, 1 a problem found, 2 bad usage or configuration. Each command lives in its
own module with a ``register(subparsers)`` function that sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import os
import sys

from kiosk import __version__
from kiosk.core.config_args import EXIT_USAGE, add_config_argument
from kiosk.ops.kioskctl import (
    config_cmd,
    db_cmd,
    enroll_cmd,
    export_cmd,
    logs_cmd,
    reconcile_cmd,
    self_test_cmd,
    set_pin_cmd,
    simulate_cmd,
    status_cmd,
    sync_cmd,
    terminal_cmd,
    update_cmd,
)

COMMAND_MODULES = [status_cmd, export_cmd, config_cmd, db_cmd, simulate_cmd, enroll_cmd,
                   sync_cmd, set_pin_cmd, reconcile_cmd, terminal_cmd, logs_cmd, self_test_cmd,
                   update_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kioskctl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version = sub.add_parser("version", help="print the installed version")
    version.set_defaults(func=lambda args: print(__version__) or 0)
    for module in COMMAND_MODULES:
        module.register(sub)
    add_config_argument(parser, recursive=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Operators run this as root in the shared data dir: a file it creates there (a WAL, a
    # new ledger) must stay writable by the services' group, as their own UMask=0007 does.
    os.umask(0o007)
    parser = build_parser()
    args = parser.parse_args(argv)
    # firmware-bridge dispatches the same way; kept twice on purpose (the bridge imports
    # nothing from the kiosk, and five lines are not worth a package both would depend on).
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
