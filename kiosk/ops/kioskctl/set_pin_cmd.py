"""kioskctl set-pin [--stdin]: set the shop owner's settings PIN (stored as a slow hash)."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.core import pin as pinmod
from kiosk.core.config_args import EXIT_OK, EXIT_USAGE
from kiosk.ops.kioskctl.common import open_ledger_or_exit

SETTING = "pin_hash"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("set-pin", help="set the shop owner's settings PIN (6-8 digits)")
    parser.add_argument("--stdin", action="store_true",
                        help="read the PIN from the first line of standard input "
                             "(provisioning); otherwise ask twice without echo")
    parser.set_defaults(func=run)


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("new PIN (6-8 digits): ")
    if getpass.getpass("the same PIN again: ") != first:
        print("the two PINs differ; nothing was changed", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    return first


def run(args: argparse.Namespace) -> int:
    pin = _read_pin(args.stdin)
    try:
        stored = pinmod.hash_new_pin(pin)
    except pinmod.BadPin as e:
        print(f"PIN not changed: {e}", file=sys.stderr)
        return EXIT_USAGE
    _, ledger = open_ledger_or_exit(args)
    try:
        existing = ledger.get_setting(SETTING)
        if existing and _same_pin(pin, existing):
            print("the PIN is already set to this value; nothing changed")
            return EXIT_OK
        ledger.set_setting(SETTING, stored)
        ledger.audit("operator", "set_pin")
    finally:
        ledger.close()
    print("PIN set")
    return EXIT_OK


def _same_pin(pin: str, stored: str) -> bool:
    try:
        return pinmod.verify_pin(pin, stored)
    except pinmod.BadPinHash:
        return False
