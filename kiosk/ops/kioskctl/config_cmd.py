"""kioskctl config validate | show"""

from __future__ import annotations

import argparse
import json

from kiosk.core.config_args import EXIT_OK, load_config_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="validate or show the configuration")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    validate = actions.add_parser("validate", help="check the file; exit 2 naming what is wrong")
    validate.set_defaults(func=_validate)
    show = actions.add_parser("show", help="print the effective configuration as JSON")
    show.set_defaults(func=_show)


def _validate(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    print(f"{cfg.path}: ok")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    print(json.dumps(cfg.as_dict(), indent=2, sort_keys=True))
    return EXIT_OK
