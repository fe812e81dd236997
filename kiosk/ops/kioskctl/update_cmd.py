"""kioskctl update WHEEL | update --recover: install a release safely, with automatic rollback.

See kiosk/ops/updater.py. Run as root on the device (it writes /opt/kiosk and restarts services).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from kiosk.core import config as configmod
from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from kiosk.ops import updater


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("update", help="install a new release from a wheel; roll back by "
                                           "itself if it is not healthy in time")
    parser.add_argument("wheel", nargs="?", type=Path, help="the donation_kiosk-*.whl file")
    parser.add_argument("--recover", action="store_true",
                        help="undo an update that was cut short (power cut during an update)")
    parser.add_argument("--base", type=Path, default=updater.DEFAULT_BASE,
                        help="where releases live (default: %(default)s)")
    parser.add_argument("--deadline", type=float, default=120.0, metavar="S",
                        help="seconds the new release has to become healthy")
    parser.add_argument("--settle", type=float, default=20.0, metavar="S",
                        help="seconds it must stay healthy without a break")
    parser.add_argument("--poll", type=float, default=2.0, metavar="S")
    parser.add_argument("--pip-arg", action="append", default=[], metavar="ARG",
                        help="extra pip install argument (repeat), e.g. --no-index")
    parser.add_argument("--system-site-packages", action="store_true",
                        help="let the release use Debian's Python packages (e.g. Kivy)")
    parser.add_argument("--restart-cmd", metavar="CMD",
                        help="command that restarts the services (default: systemctl restart "
                             "of the three units)")
    parser.add_argument("--health-cmd", metavar="CMD",
                        help="health command; {release} is the new release's directory "
                             "(default: {release}/bin/kioskctl self-test --services "
                             "--terminal-may-be-off)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    restart = shlex.split(args.restart_cmd) if args.restart_cmd else updater.DEFAULT_RESTART
    if args.recover:
        print(updater.recover(args.base, restart))
        return EXIT_OK
    if args.wheel is None:
        print("kioskctl update: give the wheel file to install (or --recover)", file=sys.stderr)
        return EXIT_USAGE
    config = str(configmod.default_path() if args.config is None else args.config)
    health = (shlex.split(args.health_cmd) if args.health_cmd else
              ["{release}/bin/kioskctl", "--config", config, "self-test", "--services",
               "--terminal-may-be-off"])
    plan = updater.Plan(wheel=args.wheel.resolve(), base=args.base, pip_args=args.pip_arg,
                        system_site_packages=args.system_site_packages, restart_cmd=restart,
                        health_cmd=health, health_deadline_s=args.deadline,
                        settle_s=args.settle, poll_s=args.poll)
    try:
        outcome = updater.update(plan, log=lambda line: print(line, flush=True))
    except updater.UpdateError as e:
        print(f"update not done, nothing changed: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    if outcome.ok:
        print(f"updated to {outcome.version} ({outcome.release})")
        return EXIT_OK
    if outcome.rolled_back:
        print(f"update to {outcome.version} FAILED its health check and was rolled back to "
              f"{outcome.previous}: {outcome.detail}", file=sys.stderr)
    else:
        print(f"update to {outcome.version} FAILED its health check and there is no previous "
              f"release to go back to: {outcome.detail}", file=sys.stderr)
    return EXIT_PROBLEM
