"""kioskctl enroll --stdin | --code-file FILE: enroll this kiosk with the central API (stores
the token and the receipt key).

The one-time code is read from standard input or a file, never from the command line, where
``ps`` shows it to every user for as long as the command runs (its network retries included).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from kiosk.ops.kioskctl.common import open_ledger_or_exit
from kiosk.sync.client import ApiError
from kiosk.sync.enroll import EnrollFailed, enroll
from kiosk.sync.service import make_client

DEPRECATED_ARGUMENT = ("warning: a code on the command line is visible to every user (ps) "
                       "while enrollment runs; this form is deprecated and will be removed: "
                       "use 'kioskctl enroll --stdin' or '--code-file FILE'")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("enroll", help="enroll this kiosk with a one-time code")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stdin", action="store_true",
                        help="read the one-time code from the first line of standard input")
    source.add_argument("--code-file", metavar="FILE",
                        help="read the one-time code from the first line of FILE")
    parser.add_argument("code", nargs="?", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def read_code(args: argparse.Namespace) -> str:
    """The code from the one source given; exits with a usage error otherwise."""
    given = [name for name, on in (("--stdin", args.stdin), ("--code-file", args.code_file),
                                   ("CODE", args.code)) if on]
    if len(given) != 1:
        print("enrollment needs the one-time code from exactly one of --stdin or --code-file "
              f"(given: {', '.join(given) or 'none'})", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    if args.code is not None:
        print(DEPRECATED_ARGUMENT, file=sys.stderr)
        code = args.code
    elif args.stdin:
        code = sys.stdin.readline()
    else:
        try:
            code = Path(args.code_file).read_text(encoding="utf-8").split("\n", 1)[0]
        except (OSError, UnicodeDecodeError) as e:
            print(f"cannot read the enrollment code from {args.code_file}: {e}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE) from None
    code = code.strip()
    if not code:
        print("the enrollment code is empty; nothing was sent", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    return code


def run(args: argparse.Namespace) -> int:
    code = read_code(args)
    cfg, ledger = open_ledger_or_exit(args)
    client = make_client(cfg, None)
    try:
        enroll(cfg, ledger, code, client)
    except (EnrollFailed, ApiError) as e:
        print(f"enrollment failed: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    finally:
        client.close()
        ledger.close()
    print(f"enrolled {cfg.device.id}: token written to {cfg.api.token_file}; kiosk-sync will "
          "use it on its next round")
    return EXIT_OK
