"""kioskctl simulate --donations N --seed S: donations through the real path, no screen."""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import EXIT_PROBLEM


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate", help="run N donations through the ledger, the bridge and the terminal "
                         "simulator, and print a JSON summary")
    parser.add_argument("--donations", type=int, default=10, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Completed with the terminal bridge (it drives the simulator through the bridge service).
    print("kioskctl simulate needs the terminal bridge, which is not built yet", file=sys.stderr)
    return EXIT_PROBLEM
