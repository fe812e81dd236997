"""One Screen class and one .kv file per screen, loaded the first time the screen is shown.

``SCREENS`` maps a screen name to ``(module, class name)``. A new screen (the shop owner's
settings) plugs in by adding one entry here and its module; the app creates it lazily.
"""

from __future__ import annotations

SCREENS: dict[str, tuple[str, str]] = {
    "attract": ("kiosk.screen.ui.screens.attract", "AttractScreen"),
    "projects": ("kiosk.screen.ui.screens.projects", "ProjectsScreen"),
    "amount": ("kiosk.screen.ui.screens.amount", "AmountScreen"),
    "keypad": ("kiosk.screen.ui.screens.keypad", "KeypadScreen"),
    "payment": ("kiosk.screen.ui.screens.payment", "PaymentScreen"),
    "thanks": ("kiosk.screen.ui.screens.thanks", "ThanksScreen"),
    "outcome": ("kiosk.screen.ui.screens.outcome", "OutcomeScreen"),
}
