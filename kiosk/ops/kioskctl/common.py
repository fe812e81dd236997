"""Helpers shared by kioskctl commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.core.config import Config
from kiosk.core.config_args import EXIT_PROBLEM, load_config_or_exit
from kiosk.core.ledger import Ledger, LedgerError, Limits


def open_ledger_or_exit(args: argparse.Namespace) -> tuple[Config, Ledger]:
    return _open_or_exit(args, Ledger.open)


def open_ledger_readonly_or_exit(args: argparse.Namespace) -> tuple[Config, Ledger]:
    """For commands that only read: never creates nor migrates the ledger."""
    return _open_or_exit(args, Ledger.open_readonly)


def _open_or_exit(args: argparse.Namespace,
                  opener: Callable[[Path, Limits], Ledger]) -> tuple[Config, Ledger]:
    cfg = load_config_or_exit(args)
    try:
        return cfg, opener(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        print(f"ledger problem: {e}", file=sys.stderr)
        raise SystemExit(EXIT_PROBLEM) from None


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
