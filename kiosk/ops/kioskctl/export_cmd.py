"""kioskctl export [--format csv|json] [--from DATE] [--to DATE] [--output FILE]"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import sys

from kiosk.core.config_args import EXIT_OK, EXIT_USAGE
from kiosk.ops.kioskctl.common import open_ledger_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="donations over a date range as CSV or JSON")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD",
                        help="first day included (device clock, UTC)")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day included")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(func=run)


def _day(value: str | None, flag: str, *, next_day: bool = False) -> str | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        print(f"{flag} {value!r}: expected a date as YYYY-MM-DD", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    if next_day:
        day += dt.timedelta(days=1)
    return day.isoformat()


def run(args: argparse.Namespace) -> int:
    start = _day(args.start, "--from")
    end = _day(args.end, "--to", next_day=True)
    _, ledger = open_ledger_or_exit(args)
    rows = list(ledger.export_rows(start, end))
    ledger.close()
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.format == "json":
            json.dump(rows, out, indent=2)
            out.write("\n")
        else:
            fields = [f.name for f in dataclasses.fields(_donation_type())]
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if args.output:
            out.close()
    return EXIT_OK


def _donation_type() -> type:
    from kiosk.core.ledger import Donation

    return Donation
