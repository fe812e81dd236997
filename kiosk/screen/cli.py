"""The ``kiosk`` entry point: the touchscreen (``kiosk --config FILE``) or the whole demo
(``kiosk --demo``)."""

from __future__ import annotations

import gc


def main(argv: list[str] | None = None) -> int:
    # The screen's start-up creates a few hundred thousand objects that all live on (modules,
    # Kivy rules, widgets): the cyclic collector ran ~100 times over them before the first
    # frame and found next to nothing. It stays off until the first screen is shown
    # (kiosk.screen.startup freezes the imports and turns it back on), imports included.
    gc.disable()
    import argparse

    from kiosk.core.config_args import add_config_argument, load_config_or_exit

    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__.splitlines()[0])
    add_config_argument(parser)
    parser.add_argument("--demo", action="store_true",
                        help="start the whole kiosk on a throwaway data directory with the "
                             "terminal simulator and the central service with a demo network")
    parser.add_argument("--window", metavar="WxH", default=None,
                        help="development: a window of this size with a mouse instead of "
                             "the locked-down full screen (e.g. 800x480, 720x1280)")
    args = parser.parse_args(argv)
    if args.demo:
        gc.enable()
        from kiosk.ops import demo

        return demo.run()
    cfg = load_config_or_exit(args)
    from kiosk.screen import startup as screen_main

    size = None
    if args.window:
        try:
            width, height = (int(v) for v in args.window.lower().split("x"))
            size = (width, height)
        except ValueError:
            parser.error(f"--window {args.window!r}: expected WIDTHxHEIGHT, e.g. 800x480")
    return screen_main.run(cfg, size=size, dev_mouse=size is not None)
