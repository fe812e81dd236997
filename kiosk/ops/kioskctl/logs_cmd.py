"""kioskctl logs [SERVICE…] [--since WHEN] [--lines N] [--follow]: the services' journal."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from kiosk.core.config_args import EXIT_PROBLEM, EXIT_USAGE

SERVICES = {"screen": "kiosk.service", "bridge": "firmware-bridge.service",
            "sync": "kiosk-sync.service"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("logs", help="show the kiosk services' logs (journalctl)")
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help=f"any of {', '.join(SERVICES)} (default: all)")
    parser.add_argument("--since", metavar="WHEN", help='e.g. "1 hour ago", "today"')
    parser.add_argument("--lines", "-n", type=int, default=200, metavar="N")
    parser.add_argument("--follow", "-f", action="store_true")
    parser.set_defaults(func=run)


def journalctl_argv(services: list[str], since: str | None, lines: int,
                    follow: bool) -> list[str]:
    argv = ["journalctl", "--no-pager", "--output=short-iso", f"--lines={lines}"]
    for name in services or list(SERVICES):
        argv.append(f"--unit={SERVICES[name]}")
    if since:
        argv.append(f"--since={since}")
    if follow:
        argv.append("--follow")
    return argv


def run(args: argparse.Namespace) -> int:
    unknown = [s for s in args.services if s not in SERVICES]
    if unknown:
        print(f"unknown service {unknown[0]!r}: expected any of {', '.join(SERVICES)}",
              file=sys.stderr)
        return EXIT_USAGE
    argv = journalctl_argv(args.services, args.since, args.lines, args.follow)
    if not shutil.which(argv[0]):
        print("journalctl is not installed on this machine", file=sys.stderr)
        return EXIT_PROBLEM
    sys.stdout.flush()
    os.execvp(argv[0], argv)
    return EXIT_PROBLEM  # not reached
