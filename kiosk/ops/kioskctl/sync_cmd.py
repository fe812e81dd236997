"""kioskctl sync --now: one sync round right away (featured push, drain, catalog, heartbeat).

Safe next to the running service: the server de-duplicates every donation, the ledger's
writes are transactions, and catalog pulls take a lock.
"""

from __future__ import annotations

import argparse
import json

from kiosk.ops.kioskctl.common import open_ledger_or_exit
from kiosk.sync.service import SyncService


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sync", help="sync with the central API")
    parser.add_argument("--now", action="store_true", required=True,
                        help="one round now; exit 0 when the backlog is empty, 1 otherwise")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg, ledger = open_ledger_or_exit(args)
    service = SyncService(cfg, ledger)
    try:
        code = service.run_once()
        print(json.dumps(service.status(), indent=2, sort_keys=True))
        return code
    finally:
        service.close()
        ledger.close()
