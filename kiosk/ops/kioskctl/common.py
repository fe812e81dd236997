"""Helpers shared by kioskctl commands."""

from __future__ import annotations

import argparse
import sys

from kiosk.core.config import Config
from kiosk.core.config_args import EXIT_PROBLEM, load_config_or_exit
from kiosk.core.ledger import Ledger, LedgerError, Limits


def open_ledger_or_exit(args: argparse.Namespace) -> tuple[Config, Ledger]:
    cfg = load_config_or_exit(args)
    try:
        return cfg, Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        print(f"ledger problem: {e}", file=sys.stderr)
        raise SystemExit(EXIT_PROBLEM) from None


def open_ledger_readonly_or_exit(args: argparse.Namespace) -> tuple[Config, Ledger]:
    """For commands that only read: never creates nor migrates the ledger."""
    cfg = load_config_or_exit(args)
    try:
        return cfg, Ledger.open_readonly(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        print(f"ledger problem: {e}", file=sys.stderr)
        raise SystemExit(EXIT_PROBLEM) from None


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
