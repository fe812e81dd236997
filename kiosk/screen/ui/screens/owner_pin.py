"""The owner's PIN pad (screen ``settings``): entering the settings and changing the PIN.

The typed digits stay here, never in a property (only their count is shown); the checks and
the lockout are ``kiosk.owner``'s, run on the panel's worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)

from kiosk.owner.access import AccessOutcome, OwnerAccess
from kiosk.screen.ui.owner_widgets import OwnerScreen
from kiosk.screen.ui.widgets import KioskButton

if TYPE_CHECKING:
    from kiosk.owner.access import Result
    from kiosk.owner.pin_lock import LockStatus

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
PIN_MAX = 8


class PinKey(KioskButton):
    key = StringProperty("")
    # The pad it types into, set by the pad's rule after this class's own: rebind, so the
    # ``disabled`` rule follows the pad's properties once it is there.
    pad = ObjectProperty(None, allownone=True, rebind=True)


class OwnerPinScreen(OwnerScreen):
    mode = OptionProperty("enter", options=["enter", "current", "new", "repeat"])
    pin_length = NumericProperty(0)
    message = StringProperty("")
    locked_for_s = NumericProperty(0)
    checking = BooleanProperty(False)

    def __init__(self, **kwargs: object):
        self._pin = ""
        self._entered = ""  # kept only until the answer: a too-short PIN goes on to a change
        self._change: dict[str, str] = {}
        self._lock_until = 0.0
        self._count_down = Clock.create_trigger(self._tick, 1.0)
        super().__init__(**kwargs)

    def begin(self, mode: str, *, load_lock: bool = False) -> None:
        """A fresh pad in ``mode``; ``load_lock``: read the lockout from the ledger first."""
        self._pin, self.pin_length, self.mode, self.message = "", 0, mode, ""
        self._change.clear()
        if load_lock:
            self._lock_until = 0.0
            self.panel.run(lambda led: self.panel.lock(led).status(), self._lock_loaded)

    def _lock_loaded(self, status: LockStatus) -> None:
        self._set_locked(status.locked_for_s)

    def _set_locked(self, seconds: int) -> None:
        self._lock_until = self.panel.clock() + seconds if seconds else 0.0
        self.locked_for_s = seconds
        if seconds:
            self.message = self.panel.tr("Too many wrong PINs. Try again in {time}.",
                                         time=_mmss(seconds))
            self._count_down()

    def _tick(self, _dt: float) -> None:
        if not self._lock_until:
            return
        left = max(0, int(self._lock_until - self.panel.clock() + 0.999))
        if left != self.locked_for_s:
            self._set_locked(left)
            if not left:
                self.message = ""
        if self._lock_until:
            self._count_down()

    def press(self, key: str) -> None:
        self.panel.pad_touched()
        if self.checking or self.locked_for_s:
            return
        if key == "back":
            self._pin = self._pin[:-1]
        elif key.isdigit() and len(self._pin) < PIN_MAX:
            self._pin += key
            self.message = ""
        self.pin_length = len(self._pin)

    def ok(self) -> None:
        if self.checking or self.locked_for_s or len(self._pin) < 4:
            return
        pin, self._pin, self.pin_length = self._pin, "", 0
        panel = self.panel
        if self.mode == "enter":
            self.checking = True
            self._entered = pin
            panel.run(lambda led: OwnerAccess(led, panel.lock(led)).try_pin(pin), self._checked)
            return
        self._change[self.mode] = pin
        if self.mode == "current":
            self.mode, self.message = "new", ""
        elif self.mode == "new":
            self.mode = "repeat"
        else:
            change = dict(self._change)
            self._change.clear()
            self.checking = True
            panel.run(lambda led: OwnerAccess(led, panel.lock(led)).change_pin(
                change["current"], change["new"], change["repeat"]), self._changed)

    def cancel(self) -> None:
        self._change.clear()
        if self.panel.is_open:
            self.panel.show("owner_home")
        else:
            self.panel.leave("cancelled")

    def _checked(self, result: Result) -> None:
        self.checking = False
        entered, self._entered = self._entered, ""
        if result.outcome is AccessOutcome.OPEN:
            self.panel.opened()
            if result.must_change:
                # Ask for a new PIN at once; the one just typed is the current one. Cancel
                # leaves the pad for the settings home, as any change does.
                self.panel.start_pin_change()
                self._change["current"] = entered
                self.mode = "new"
                self.message = self.panel.words(result.message)
            return
        self.message = self.panel.words(result.message)
        self._set_locked(result.lock.locked_for_s)

    def _changed(self, result: Result) -> None:
        self.checking = False
        self.mode = "enter"
        self._set_locked(result.lock.locked_for_s)
        self.message = self.panel.words(result.message)
        if result.outcome is AccessOutcome.CHANGED:
            self.panel.show("owner_home")

    def failed(self, text: str) -> None:
        self.checking = False
        self.message = text

    def closed(self) -> None:
        self._pin, self._entered, self.pin_length, self.mode = "", "", 0, "enter"
        self._change.clear()


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"
