"""Shared command-line plumbing for the kiosk's entry points."""

from __future__ import annotations

import argparse
import sys

from kiosk.core import config as configmod

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def add_config_argument(parser: argparse.ArgumentParser, *, recursive: bool = False) -> None:
    """``--config FILE``; with ``recursive`` also on every sub-command, so that both
    ``kioskctl --config F status`` and ``kioskctl status --config F`` work."""
    _add_config(parser, default=None)
    if recursive:
        _add_to_subcommands(parser)


def _add_config(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--config", metavar="FILE", default=default,
        help=f"configuration file (default: ${configmod.ENV_VAR} or {configmod.DEFAULT_PATH})")


def _add_to_subcommands(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                # SUPPRESS: a sub-command's absent --config must not hide the top-level one.
                _add_config(child, default=argparse.SUPPRESS)
                _add_to_subcommands(child)


def load_config_or_exit(args: argparse.Namespace) -> configmod.Config:
    """Load the configuration; on error print it plainly and exit with status 2."""
    try:
        return configmod.load(args.config)
    except configmod.ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
