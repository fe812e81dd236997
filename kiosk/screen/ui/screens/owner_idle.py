"""The low-power idle outside opening hours (screen ``owner_idle``): nothing moves, so nothing
is redrawn; the backlight is turned down where the display allows it. A touch wakes it (the
panel swallows that touch)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screen.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OwnerIdleScreen(OwnerScreen):
    pass
