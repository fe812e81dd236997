"""Screen settings (screen ``owner_display``): language, opening hours, brightness, and
whether the loop shows the shop's total for the month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.owner import shop_total
from kiosk.owner.opening_hours import OpeningHours
from kiosk.screen.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
HOURS_STEP_MIN = 30
BRIGHTNESS_STEP = 10


class OwnerDisplayScreen(OwnerScreen):
    opens = StringProperty("07:00")
    closes = StringProperty("21:00")
    brightness_available = BooleanProperty(False)
    brightness = NumericProperty(100)
    shop_total_shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.brightness_available = self.panel.backlight is not None

    def on_pre_enter(self, *_args: Any) -> None:
        # The panel holds what is applied (the idle follows the hours even with this screen
        # never shown); this screen shows it.
        self._show_hours(self.panel.idle.hours)
        self.brightness = self.panel.brightness
        self.panel.run(shop_total.shown, self._shop_total_read)

    def _shop_total_read(self, shown: bool) -> None:
        self.shop_total_shown = shown

    def show_shop_total(self, on: bool) -> None:
        self.shop_total_shown = on
        self.panel.set_shop_total_shown(on)

    def _show_hours(self, hours: OpeningHours) -> None:
        setting = hours.as_setting()
        self.opens, self.closes = setting["opens"], setting["closes"]

    def shift_hours(self, which: str, steps: int) -> None:
        """``which`` (« opens » or « closes ») ``steps`` half-hours later (or earlier)."""
        current = OpeningHours.parse(self.opens, self.closes)
        moment = dt.datetime.combine(dt.date(2000, 1, 1), getattr(current, which))
        shifted = (moment + dt.timedelta(minutes=steps * HOURS_STEP_MIN)).time()
        hours = (OpeningHours(shifted, current.closes) if which == "opens"
                 else OpeningHours(current.opens, shifted))
        self._show_hours(hours)
        self.panel.set_opening_hours(hours)

    def step_brightness(self, steps: int) -> None:
        self.brightness = self.panel.set_brightness(
            int(self.brightness) + steps * BRIGHTNESS_STEP)
