"""Start-up work done while Kivy creates the window.

Creating the SDL window and the OpenGL context takes ~100 ms during which the UI thread holds
no GIL (SDL and Mesa run in C). ``kiosk.ui.app`` imports this module before Kivy's window, so a
thread uses that time to import the screen's own modules, Pillow's decoders and Babel's locale
data (~25 ms to unpickle; the first slide shows « 1 240 € collectés »), which the main thread
would otherwise load after the window exists, before the first frame.
"""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger("kiosk.screen")

MODULES = ("kiosk.donation_flow", "kiosk.catalog", "kiosk.health", "kiosk.payment_runner",
           "kiosk.recovery", "kiosk.receipt", "kiosk.i18n", "kiosk.ui.pictures")


def _warm_up() -> None:
    try:
        for name in MODULES:
            importlib.import_module(name)
        from PIL import Image

        Image.preinit()  # the JPEG and PNG decoders the first photo needs
        from kiosk import i18n, money

        for language in money.BABEL_LOCALES:
            money.format_cents(124000, "EUR", language)  # loads and caches the locale data
            i18n.translation(language)
    except Exception as e:  # noqa: BLE001 - only an optimisation: the app loads them again
        log.info("start-up warm-up skipped: %s", e)


THREAD = threading.Thread(target=_warm_up, name="kiosk-warm-up", daemon=True)
THREAD.start()
