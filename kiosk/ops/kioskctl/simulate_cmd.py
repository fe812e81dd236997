"""kioskctl simulate --donations N --seed S: donations through the screen's path, no screen.

It starts its own terminal simulator (on a pseudo-terminal) and its own bridge service (on a
socket in a throwaway directory), and uses a throwaway ledger with the configured limits: a
simulation never touches the real terminal nor the device's ledger. Without a configuration
file (a fresh clone) it uses the configuration's defaults. Prints a JSON summary; exit 1 if the
ledger and the simulator's record of approvals disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kiosk.core import config as configmod
from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, load_config_or_exit
from kiosk.core.ledger import Limits


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate", help="run N donations through the ledger, the bridge and the terminal "
                         "simulator, and print a JSON summary")
    parser.add_argument("--donations", type=int, default=10, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--protocol", choices=("concert-v2", "concert-v3"), default=None,
                        help="default: terminal.protocol from the configuration")
    parser.add_argument("--work-dir", metavar="DIR", default=None,
                        help="where the throwaway ledger, journal and socket go "
                             "(default: a new temporary directory)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the bridge and pyserial only when simulating, so kioskctl starts fast.
    from kiosk.ops import simulation

    if not 0 < args.donations <= 100_000:
        print("--donations must be from 1 to 100000", file=sys.stderr)
        return EXIT_USAGE
    cfg = _config_or_defaults(args)
    options = simulation.Options(
        donations=args.donations, seed=args.seed,
        protocol=args.protocol or cfg.terminal.protocol,
        amounts_cents=tuple(cfg.donations.preset_amounts_cents),
        currency=cfg.donations.currency)
    limits = Limits.from_config(cfg)
    summary = simulation.run(options, limits, Path(args.work_dir) if args.work_dir else None)
    print(json.dumps(summary, indent=2))
    return EXIT_OK if summary["consistent"] else EXIT_PROBLEM


def _config_or_defaults(args: argparse.Namespace) -> configmod.Config:
    """The named configuration; with none named and none installed, the defaults (a
    simulation only reads the terminal protocol, the amounts and the ledger's limits)."""
    named = getattr(args, "config", None) or os.environ.get(configmod.ENV_VAR)
    if named or configmod.DEFAULT_PATH.exists():
        return load_config_or_exit(args)
    return configmod.validate({"device": {"id": "simulation"},
                               "api": {"base_url": "http://127.0.0.1:9"}}, "(defaults)")
