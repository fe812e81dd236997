"""What the shop owner's settings screens share: the session, the PIN lock, the worker thread,
the opening-hours idle and the backlight.

One :class:`OwnerPanel` per app (``OwnerPanel.install(app)`` at build). Each settings screen
holds its own state as Kivy properties (``kiosk.screen.ui.screens.owner_*``); the panel holds
only what outlives a screen: whether the settings are open, whether the display is dimmed, the
applied brightness and opening hours. It makes no decisions (those are ``kiosk.owner``'s); it
runs the screens' ledger and bridge jobs on its own worker thread with its own ledger
connection (SQLite transactions must not interleave with the payment thread's) and hands the
results back on the UI thread. Screen names: ``settings`` (the PIN pad the hidden gesture
opens), ``owner_home``, ``owner_featured``, ``owner_preview``, ``owner_display``,
``owner_idle``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty

from kiosk.core.ledger import AuditEntry, Ledger
from kiosk.hardware.backlight import IDLE_PERCENT, Backlight
from kiosk.hardware.backlight import SETTING as BRIGHTNESS_SETTING
from kiosk.owner import terminal_words
from kiosk.owner.message import Message
from kiosk.owner.opening_hours import SETTING as HOURS_SETTING
from kiosk.owner.opening_hours import IdleClock, OpeningHours
from kiosk.owner.options import OwnerOptions
from kiosk.owner.pin_lock import ACTOR, PinLock
from kiosk.owner.session import OwnerSession
from kiosk.owner.shop_total import AUDIT_ACTION as SHOP_TOTAL_AUDIT
from kiosk.owner.shop_total import SETTING as SHOP_TOTAL_SETTING

if TYPE_CHECKING:
    from kivy.core.window import WindowBase
    from kivy.input.motionevent import MotionEvent

    from kiosk.owner.terminal_words import TerminalHealth
    from kiosk.screen.ui.app import KioskApp
    from kiosk.screen.ui.owner_widgets import OwnerScreen
    from kiosk.screen.ui.screens.owner_featured import OwnerFeaturedScreen
    from kiosk.screen.ui.screens.owner_pin import OwnerPinScreen

log = logging.getLogger("kiosk.owner")
OWNER_SCREENS = {
    "settings": ("kiosk.screen.ui.screens.owner_pin", "OwnerPinScreen"),
    "owner_home": ("kiosk.screen.ui.screens.owner_home", "OwnerHomeScreen"),
    "owner_featured": ("kiosk.screen.ui.screens.owner_featured", "OwnerFeaturedScreen"),
    "owner_preview": ("kiosk.screen.ui.screens.owner_preview", "OwnerPreviewScreen"),
    "owner_display": ("kiosk.screen.ui.screens.owner_display", "OwnerDisplayScreen"),
    "owner_idle": ("kiosk.screen.ui.screens.owner_idle", "OwnerIdleScreen"),
}
T = TypeVar("T")


class OwnerPanel(EventDispatcher):
    is_open = BooleanProperty(False)   # authenticated and showing the settings
    dimmed = BooleanProperty(False)

    def __init__(self, app: KioskApp, options: OwnerOptions, *,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = dt.datetime.now, **kwargs: Any):
        super().__init__(**kwargs)
        self.app, self.options, self.clock, self.now = app, options, clock, now
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="kiosk-owner")
        self._ledger: Ledger | None = None  # opened on the worker thread, used only there
        self.session = OwnerSession(lambda: bool(app.donation_in_progress),
                                    options.inactivity_timeout_s)
        self.idle = IdleClock(OpeningHours.parse(options.opening_time, options.closing_time),
                              options.wake_for_s)
        self.backlight = Backlight.find(options.backlight_root)
        self.brightness = 100  # the owner's choice, put back when the idle ends
        self._pad_since: float | None = None  # the PIN pad is showing, before the PIN
        self._stopped = False
        self._timer = Clock.schedule_interval(self._tick, 1.0)
        self._idle_timer = Clock.schedule_interval(self._idle_tick, options.idle_check_s)
        Window.bind(on_touch_down=self._on_touch, on_touch_move=self._swallow_waking,
                    on_touch_up=self._swallow_waking)
        self.run(self._load_screen_settings, self._screen_settings_loaded)

    # -- plumbing -------------------------------------------------------------------------

    @classmethod
    def install(cls, app: KioskApp, options: OwnerOptions) -> OwnerPanel:
        """Register the settings screens with the app and start the opening-hours idle."""
        from kiosk.screen.ui import screens

        screens.SCREENS.update(OWNER_SCREENS)
        app.owner = cls(app, options)
        return app.owner

    def run(self, job: Callable[[Ledger], T], done: Callable[[T], None] | None = None) -> None:
        """``job(ledger)`` on the worker thread; ``done(result)`` back on the UI thread."""
        def work() -> None:
            try:
                if self._ledger is None:
                    main = self.app.context.ledger
                    self._ledger = Ledger.open(main.path, main.limits, check=False)
                result = job(self._ledger)
            except Exception as e:  # noqa: BLE001 - shown to the owner, never a crash
                log.exception("owner settings job failed")
                self._failed(str(e))
                return
            if done is not None:
                self._done(done, result)
        self._worker.submit(work)

    @mainthread
    def _done(self, done: Callable[[T], None], result: T) -> None:
        done(result)

    @mainthread
    def _failed(self, error: str) -> None:
        text = self.tr("Something went wrong: {error}", error=error)
        for screen in self._screens():
            screen.failed(text)

    def tr(self, message: str, **values: Any) -> str:
        return self.app.tr(message, **values)

    def words(self, message: Message | None) -> str:
        return message.render(lambda s: self.app.tr(s)) if message else ""

    def holds_screen(self, name: str) -> bool:
        """True for the owner's screens (the app's flow must not switch away from them)."""
        return name in OWNER_SCREENS

    def screen(self, name: str) -> Any:
        """The owner's screen ``name``, created (its .kv loaded) the first time: callers name
        its class, imported only for type checking, so opening the panel loads no screen
        (hence Any: the class is picked by name at run time)."""
        return self.app.screen(name)

    def _screens(self) -> Iterator[OwnerScreen]:
        """The settings screens built so far (the others have no state to touch)."""
        manager = self.app.manager
        assert manager is not None
        return (manager.get_screen(n) for n in OWNER_SCREENS if manager.has_screen(n))

    def show(self, name: str) -> None:
        self.app.show_owner_screen(name)

    def stop(self) -> None:
        """Idempotent: Kivy may dispatch on_stop twice (app.stop(), then the loop's end)."""
        if self._stopped:
            return
        self._stopped = True
        self._timer.cancel()
        self._idle_timer.cancel()
        self._worker.submit(self._close_ledger)  # after whatever write is still queued
        self._worker.shutdown(wait=False)

    def _close_ledger(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    # -- getting in and out ---------------------------------------------------------------

    def open_pad(self) -> bool:
        """The hidden gesture: show the PIN pad, unless a donation is in progress."""
        if not self.session.may_open() or self.dimmed:
            return False
        self._pad_since = self.clock()
        pad: OwnerPinScreen = self.screen("settings")
        pad.begin("enter", load_lock=True)
        self.show("settings")
        return True

    def lock(self, ledger: Ledger) -> PinLock:
        """The PIN lock, on the worker thread's ledger."""
        return PinLock(ledger, schedule=self.options.lock_schedule)

    def pad_touched(self) -> None:
        self._pad_since = self.clock()

    def opened(self) -> None:
        """The right PIN: the settings are open, on their first page."""
        self.is_open = True
        self.session.opened(self.clock())
        self.show("owner_home")

    def start_pin_change(self) -> None:
        pad: OwnerPinScreen = self.screen("settings")
        pad.begin("current")
        self.show("settings")

    def open_featured(self) -> None:
        featured: OwnerFeaturedScreen = self.screen("owner_featured")
        featured.start()
        self.show("owner_featured")

    def leave(self, reason: str = "done") -> None:
        """Close the settings (the owner's « Fermer », inactivity, or a donation starting)."""
        self.is_open = False
        self._pad_since = None
        for screen in self._screens():
            screen.closed()
        if self.session.close():
            self.run(lambda led: led.audit(ACTOR, "settings_closed", reason=reason))
        self.show("attract")

    def _on_touch(self, _window: WindowBase, touch: MotionEvent) -> bool:
        now = self.clock()
        if self.is_open:
            self.session.touched(now)
        elif self._pad_since is not None:
            self._pad_since = now  # a touch on the PIN pad keeps it open
        if self.dimmed or self.app.manager.current == "owner_idle":
            touch.ud["owner_wake"] = True
            self.wake()
            return True  # the waking touch never reaches a button
        self.idle.touched(self.now().time(), now)
        return False

    def _swallow_waking(self, _window: WindowBase, touch: MotionEvent) -> bool:
        """The rest of a waking touch (its move and lift) must not reach the attract loop
        that is now under the finger: lifting a finger never starts a donation."""
        return bool(touch.ud.get("owner_wake"))

    def _tick(self, _dt: float) -> None:
        now = self.clock()
        if self.is_open:
            reason = self.session.should_close(now)
            if reason:
                self.leave(reason)
        elif self._pad_since is not None and (
                now - self._pad_since >= self.options.inactivity_timeout_s
                or self.app.donation_in_progress):
            self.leave("inactivity")

    # -- the opening-hours idle -----------------------------------------------------------

    def _idle_tick(self, _dt: float = 0) -> None:
        busy = self.is_open or self._pad_since is not None or self.app.donation_in_progress
        dim = self.idle.tick(self.now().time(), self.clock())
        if dim and not busy and not self.dimmed:
            self.dimmed = True
            self._apply_brightness(IDLE_PERCENT)
            self.show("owner_idle")
        elif not dim and self.dimmed:
            self.wake()

    def wake(self) -> None:
        self.idle.touched(self.now().time(), self.clock())
        if self.dimmed:
            self.dimmed = False
            self._apply_brightness(self.brightness)
        if self.app.manager.current == "owner_idle":
            self.show("attract")

    def _apply_brightness(self, percent: int) -> None:
        if self.backlight is None:
            return
        floor = IDLE_PERCENT if percent <= IDLE_PERCENT else 10
        self._worker.submit(self._write_brightness, percent, floor)

    def _write_brightness(self, percent: int, floor: int) -> None:
        try:
            assert self.backlight is not None
            self.backlight.set_percent(percent, floor=floor)
        except OSError as e:
            log.warning("brightness not applied: %s", e)

    # -- the terminal ---------------------------------------------------------------------

    def test_terminal(self, done: Callable[[TerminalHealth], None]) -> None:
        """« Tester le terminal »: the bridge's status probe, never a payment."""
        port = self.app.context.port

        def probe(led: Ledger) -> TerminalHealth:
            if port is None:
                health = terminal_words.describe(None, "no terminal bridge in this build")
            else:
                try:
                    health = terminal_words.describe(port.status())
                except Exception as e:  # noqa: BLE001 - an absent bridge is the answer
                    health = terminal_words.describe(None, e)
            led.audit(ACTOR, "terminal_tested", ok=health.ok)
            return health
        self.run(probe, done)

    # -- the screen's settings: language, opening hours, brightness -----------------------

    # The brightness is the stored value as it is (checked by the caller), or the display's.
    def _load_screen_settings(self, led: Ledger) -> tuple[OpeningHours, object]:
        hours = OpeningHours.for_kiosk(led, self.options.opening_time, self.options.closing_time)
        brightness = led.get_setting(BRIGHTNESS_SETTING)
        if not isinstance(brightness, int) and self.backlight is not None:
            try:
                brightness = self.backlight.percent()  # what the display is at now
            except (OSError, ValueError) as e:
                log.warning("brightness unreadable: %s", e)
        return hours, brightness

    def _screen_settings_loaded(self, result: tuple[OpeningHours, object]) -> None:
        hours, brightness = result
        self.idle.hours = hours
        if isinstance(brightness, int) and self.backlight is not None:
            self.brightness = brightness
            if not self.dimmed:
                self._apply_brightness(brightness)
        self._idle_tick()

    def set_language(self, language: str) -> None:
        self.app.context.language = language
        self.app.lang = language
        self.run(lambda led: _save(led, "language", language, "language_changed",
                                   language=language))

    def set_opening_hours(self, hours: OpeningHours) -> None:
        self.idle.hours = hours
        self.run(lambda led: _save(led, HOURS_SETTING, hours.as_setting(),
                                   "opening_hours_changed", **hours.as_setting()))

    def set_shop_total_shown(self, on: bool) -> None:
        """Show (or leave out) the shop's total in the loop; the loop follows once stored."""
        self.run(lambda led: _save(led, SHOP_TOTAL_SETTING, on, SHOP_TOTAL_AUDIT, shown=on),
                 lambda _none: self.app.read_progress_soon())

    def set_brightness(self, percent: int) -> int:
        """Apply and keep ``percent`` (held between 10 and 100); returns what was applied."""
        percent = max(10, min(100, int(percent)))
        self.brightness = percent
        self._apply_brightness(percent)
        self.run(lambda led: _save(led, BRIGHTNESS_SETTING, percent, "brightness_changed",
                                   percent=percent))
        return percent


def _save(led: Ledger, key: str, value: Any, action: str, **detail: Any) -> None:
    """A setting and its audit row, committed together (``value``: any JSON value)."""
    led.set_setting(key, value, audit=AuditEntry(ACTOR, action, detail))
