"""The ``kiosk`` entry point: the touchscreen (``kiosk --config FILE``) or the whole demo
(``kiosk --demo``)."""

from __future__ import annotations

import argparse

from kiosk.cli import add_config_argument, load_config_or_exit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__.splitlines()[0])
    add_config_argument(parser)
    parser.add_argument("--demo", action="store_true",
                        help="start the whole kiosk on a throwaway data directory with the "
                             "terminal simulator and the reference central API")
    args = parser.parse_args(argv)
    if args.demo:
        from kiosk import demo

        return demo.run()
    cfg = load_config_or_exit(args)
    from kiosk import screen_main

    return screen_main.run(cfg)
