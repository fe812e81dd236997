"""One Screen class and one .kv file per screen, loaded the first time the screen is shown.

``SCREENS`` maps a screen name to ``(module, class name)``. A new screen (the shop owner's
settings) plugs in by adding one entry here and its module; the app creates it lazily.
"""

from __future__ import annotations

SCREENS: dict[str, tuple[str, str]] = {
    "attract": ("kiosk.ui.screens.attract", "AttractScreen"),
    "amount": ("kiosk.ui.screens.amount", "AmountScreen"),
    "keypad": ("kiosk.ui.screens.keypad", "KeypadScreen"),
    "payment": ("kiosk.ui.screens.payment", "PaymentScreen"),
    "thanks": ("kiosk.ui.screens.thanks", "ThanksScreen"),
    "outcome": ("kiosk.ui.screens.outcome", "OutcomeScreen"),
}
