"""kioskctl db check | resume"""

from __future__ import annotations

import argparse
import json

from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, load_config_or_exit
from kiosk.core.ledger import OUT_OF_SERVICE_MARKER, Ledger, Limits, out_of_service_reason


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="check the ledger database or put it back in service")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="full PRAGMA integrity_check, the schema this release needs and the offline "
                 "cap's counter against the donations (read-only)")
    check.set_defaults(func=_check)
    resume = actions.add_parser(
        "resume", help="after reviewing a database that was moved aside, take donations again "
                       "with a fresh ledger")
    resume.set_defaults(func=_resume)


def _check(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    marker = cfg.data_dir / OUT_OF_SERVICE_MARKER
    if marker.exists():
        print(out_of_service_reason(cfg.data_dir))
        return EXIT_PROBLEM
    if not cfg.ledger_path.exists():
        print(f"{cfg.ledger_path}: no ledger yet (it is created when the kiosk first starts)")
        return EXIT_OK
    try:
        ledger = Ledger.open_readonly(cfg.ledger_path, Limits.from_config(cfg))
        try:
            problems = ledger.check()
        finally:
            ledger.close()
    except Exception as e:  # a broken file can fail in many ways; report, never crash
        problems = [f"{type(e).__name__}: {e}"]
    if problems:
        print(f"{cfg.ledger_path}: integrity check FAILED")
        for p in problems[:20]:
            print(f"  {p}")
        return EXIT_PROBLEM
    print(f"{cfg.ledger_path}: integrity check ok")
    return EXIT_OK


def _resume(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    marker = cfg.data_dir / OUT_OF_SERVICE_MARKER
    if not marker.exists():
        print("the ledger is in service; nothing to do")
        return EXIT_OK
    info = json.loads(marker.read_text())
    marker.unlink()
    print(f"back in service with a fresh ledger; the old one stays in {info.get('moved_to')}")
    return EXIT_OK
