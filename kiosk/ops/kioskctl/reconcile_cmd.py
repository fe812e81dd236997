"""kioskctl reconcile [list] | reconcile decide ID charged|not_charged --acquirer-ref REF"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys

from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from kiosk.ops import reconcile
from kiosk.ops.kioskctl.common import euros, open_ledger_or_exit, open_ledger_readonly_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "reconcile", help="list donations with an unknown outcome, and record the decision "
                          "taken against the acquirer's report")
    parser.set_defaults(func=_list, json=False, all=False)
    actions = parser.add_subparsers(dest="reconcile_action", metavar="ACTION")
    listing = actions.add_parser("list", help="unknown outcomes not yet decided (default)")
    listing.add_argument("--all", action="store_true", help="also those already decided")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)
    decide = actions.add_parser("decide", help="record what the acquirer's report shows")
    decide.add_argument("donation_id")
    decide.add_argument("decision", choices=reconcile.DECISIONS)
    decide.add_argument("--acquirer-ref", required=True, metavar="REF",
                        help="the transaction's reference on the acquirer's report")
    decide.add_argument("--note", default="")
    decide.add_argument("--operator", default=None,
                        help="who decides (default: the login name)")
    decide.set_defaults(func=_decide)


def _list(args: argparse.Namespace) -> int:
    _, ledger = open_ledger_readonly_or_exit(args)
    try:
        open_items = reconcile.unresolved(ledger)
        decided = reconcile.decisions(ledger) if args.all else {}
    finally:
        ledger.close()
    if args.json:
        print(json.dumps({"unresolved": [dataclasses.asdict(d) for d in open_items],
                          "decided": [dataclasses.asdict(d) for d in decided.values()]},
                         indent=2))
        return EXIT_PROBLEM if open_items else EXIT_OK
    if not open_items:
        print("no unknown outcome waiting for a decision")
    for d in open_items:
        print(f"{d.id}  seq {d.seq}  {euros(d.amount_cents)} {d.currency}  {d.created_at}  "
              f"project {d.project_id}  card …{d.card_suffix or '?'}  {d.reason or ''}".rstrip())
    for dec in decided.values():
        print(f"{dec.donation_id}  decided {dec.decision} (acquirer ref "
              f"{dec.acquirer_reference}) by {dec.operator} at {dec.at}")
    return EXIT_PROBLEM if open_items else EXIT_OK


def _decide(args: argparse.Namespace) -> int:
    _, ledger = open_ledger_or_exit(args)
    try:
        decision = reconcile.decide(ledger, args.donation_id, args.decision, args.acquirer_ref,
                                    args.operator or getpass.getuser(), args.note)
    except reconcile.ReconcileError as e:
        print(f"not recorded: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        ledger.close()
    print(f"recorded: donation {decision.donation_id} {decision.decision} "
          f"(acquirer ref {decision.acquirer_reference})")
    return EXIT_OK
