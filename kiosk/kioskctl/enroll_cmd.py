"""kioskctl enroll CODE: enroll this kiosk with the central API (stores the token and the
receipt key)."""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import EXIT_OK, EXIT_PROBLEM
from kiosk.kioskctl.common import open_ledger_or_exit
from kiosk.sync.client import ApiError
from kiosk.sync.enroll import EnrollFailed, enroll
from kiosk.sync.service import make_client


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("enroll", help="enroll this kiosk with a one-time code")
    parser.add_argument("code", help="the one-time enrollment code from the office")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg, ledger = open_ledger_or_exit(args)
    client = make_client(cfg, None)
    try:
        enroll(cfg, ledger, args.code, client)
    except (EnrollFailed, ApiError) as e:
        print(f"enrollment failed: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    finally:
        client.close()
        ledger.close()
    print(f"enrolled {cfg.device.id}: token written to {cfg.api.token_file}; kiosk-sync will "
          "use it on its next round")
    return EXIT_OK
