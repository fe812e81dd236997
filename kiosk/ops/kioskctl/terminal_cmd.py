"""kioskctl terminal probe [--json]: is the payment terminal there? (asks the bridge)"""

from __future__ import annotations

import argparse
import json

from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, load_config_or_exit
from kiosk.payment.client import BridgeClient, BridgeClientError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("terminal", help="check the payment terminal through the bridge")
    actions = parser.add_subparsers(dest="terminal_action", metavar="ACTION", required=True)
    probe = actions.add_parser("probe", help="ask the bridge whether the terminal answers "
                                             "(no payment is made)")
    probe.add_argument("--json", action="store_true", help="machine-readable output")
    probe.add_argument("--timeout", type=float, default=5.0, metavar="S")
    probe.set_defaults(func=_probe)


def _probe(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    client = BridgeClient(cfg.terminal.bridge_socket, timeout_s=args.timeout, full_retry_s=0)
    try:
        status = client.status()
    except BridgeClientError as e:
        if args.json:
            print(json.dumps({"connected": False, "error": str(e)}, indent=2, sort_keys=True))
        else:
            print(f"terminal: cannot ask the bridge: {e}")
        return EXIT_PROBLEM
    if args.json:
        print(json.dumps(status.as_dict(), indent=2, sort_keys=True))
    else:
        state = "connected" if status.connected else "NOT CONNECTED"
        print(f"terminal: {state} ({status.protocol} on {status.device})"
              + (", busy with a payment" if status.busy else ""))
        print(f"last answer: {status.last_answer_at or 'never'}")
        if status.last_error:
            print(f"last error: {status.last_error}")
    return EXIT_OK if status.connected else EXIT_PROBLEM
