"""The shop owner's settings, as Kivy properties the settings screens bind to.

One :class:`OwnerPanel` per app (``OwnerPanel.install(app)`` at build). It holds no decisions:
PIN checks, lockout, featured choice, today's figures and opening hours come from
``kiosk.owner``; this class runs them on its own worker thread with its own ledger connection
(SQLite transactions must not interleave with the payment thread's), and copies the results
into properties on the UI thread. Screen names: ``settings`` (the PIN pad the hidden gesture
opens), ``owner_home``, ``owner_featured``, ``owner_preview``, ``owner_display``, ``owner_idle``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.event import EventDispatcher
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)

from kiosk.core import catalog as catalogmod
from kiosk.core.ledger import AuditEntry, Ledger
from kiosk.hardware.backlight import IDLE_PERCENT, Backlight
from kiosk.hardware.backlight import SETTING as BRIGHTNESS_SETTING
from kiosk.owner import featured as featuredmod
from kiosk.owner import sync_request, terminal_words
from kiosk.owner.access import Outcome, OwnerAccess
from kiosk.owner.featured import FeaturedDraft, FeaturedRefused
from kiosk.owner.message import Message
from kiosk.owner.opening_hours import SETTING as HOURS_SETTING
from kiosk.owner.opening_hours import IdleClock, OpeningHours
from kiosk.owner.options import OwnerOptions
from kiosk.owner.pin_lock import ACTOR, PinLock
from kiosk.owner.session import OwnerSession
from kiosk.owner.today import glance

log = logging.getLogger("kiosk.owner")
OWNER_SCREENS = {
    "settings": ("kiosk.screen.ui.screens.owner_pin", "OwnerPinScreen"),
    "owner_home": ("kiosk.screen.ui.screens.owner_home", "OwnerHomeScreen"),
    "owner_featured": ("kiosk.screen.ui.screens.owner_featured", "OwnerFeaturedScreen"),
    "owner_preview": ("kiosk.screen.ui.screens.owner_preview", "OwnerPreviewScreen"),
    "owner_display": ("kiosk.screen.ui.screens.owner_display", "OwnerDisplayScreen"),
    "owner_idle": ("kiosk.screen.ui.screens.owner_idle", "OwnerIdleScreen"),
}
PIN_MAX = 8


class OwnerPanel(EventDispatcher):
    # -- the PIN pad ----------------------------------------------------------------------
    pad_mode = OptionProperty("enter", options=["enter", "current", "new", "repeat"])
    pin_length = NumericProperty(0)
    pad_message = StringProperty("")
    locked_for_s = NumericProperty(0)
    checking = BooleanProperty(False)
    # -- today, terminal and sync ---------------------------------------------------------
    today_text = StringProperty("")
    backlog_text = StringProperty("")
    last_sync_text = StringProperty("")
    attention = ListProperty([])
    terminal_text = StringProperty("")
    terminal_ok = BooleanProperty(True)
    terminal_testing = BooleanProperty(False)
    sync_waiting = BooleanProperty(False)
    # -- featured -------------------------------------------------------------------------
    entries = ListProperty([])   # kiosk.owner.featured.Entry, catalog order
    chosen_count = NumericProperty(0)
    featured_message = StringProperty("")
    featured_saved = BooleanProperty(False)  # the message is the « saved » confirmation
    featured_dirty = BooleanProperty(False)
    preview = ListProperty([])   # kiosk.core.catalog.Project, in loop order
    # -- display --------------------------------------------------------------------------
    opens = StringProperty("07:00")
    closes = StringProperty("21:00")
    brightness_available = BooleanProperty(False)
    brightness = NumericProperty(100)
    display_message = StringProperty("")
    # -- state ----------------------------------------------------------------------------
    is_open = BooleanProperty(False)   # authenticated and showing the settings
    dimmed = BooleanProperty(False)
    draft = ObjectProperty(None, allownone=True)

    def __init__(self, app: Any, options: OwnerOptions, *,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = dt.datetime.now, **kwargs: Any):
        super().__init__(**kwargs)
        self.app, self.options, self.clock, self.now = app, options, clock, now
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="kiosk-owner")
        self._ledger: Ledger | None = None  # opened on the worker thread, used only there
        self._pin = ""
        self._pin_change: dict[str, str] = {}
        self._lock_until = 0.0
        self.session = OwnerSession(lambda: bool(app.donation_in_progress),
                                    options.inactivity_timeout_s)
        self.idle = IdleClock(OpeningHours.parse(options.opening_time, options.closing_time),
                              options.wake_for_s)
        self.backlight = Backlight.find(options.backlight_root)
        self.brightness_available = self.backlight is not None
        self._pad_since: float | None = None
        self._stopped = False
        self._timer = Clock.schedule_interval(self._tick, 1.0)
        self._idle_timer = Clock.schedule_interval(self._idle_tick, options.idle_check_s)
        Window.bind(on_touch_down=self._on_touch, on_touch_move=self._swallow_waking,
                    on_touch_up=self._swallow_waking)
        app.bind(lang=lambda *_: self._render_all())
        self._glance: Any = None
        self._terminal: Message | None = None
        self.run(self._load_screen_settings, self._screen_settings_loaded)

    # -- plumbing -------------------------------------------------------------------------

    @classmethod
    def install(cls, app: Any, options: OwnerOptions) -> OwnerPanel:
        """Register the settings screens with the app and start the opening-hours idle."""
        from kiosk.screen.ui import screens

        screens.SCREENS.update(OWNER_SCREENS)
        app.owner = cls(app, options)
        return app.owner

    def run(self, job: Callable[[Ledger], Any], done: Callable[[Any], None] | None = None) -> None:
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
    def _done(self, done: Callable[[Any], None], result: Any) -> None:
        done(result)

    @mainthread
    def _failed(self, error: str) -> None:
        self.checking = False
        text = self.tr("Something went wrong: {error}", error=error)
        self.pad_message = self.featured_message = self.display_message = text

    def tr(self, message: str, **values: Any) -> str:
        return self.app.tr(message, **values)

    def words(self, message: Message | None) -> str:
        return message.render(lambda s: self.app.tr(s)) if message else ""

    def holds_screen(self, name: str) -> bool:
        """True for the owner's screens (the app's flow must not switch away from them)."""
        return name in OWNER_SCREENS

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

    # -- getting in: the hidden gesture and the PIN pad -----------------------------------

    def open_pad(self) -> bool:
        """The hidden gesture: show the PIN pad, unless a donation is in progress."""
        if not self.session.may_open() or self.dimmed:
            return False
        self._pin, self.pin_length, self.pad_mode, self.pad_message = "", 0, "enter", ""
        self._pad_since = self.clock()
        self._lock_until = 0.0
        self.run(lambda led: self._lock().status(), self._lock_loaded)
        self.show("settings")
        return True

    def _lock(self) -> PinLock:
        assert self._ledger is not None
        return PinLock(self._ledger, schedule=self.options.lock_schedule)

    def _lock_loaded(self, status: Any) -> None:
        self._set_locked(status.locked_for_s)

    def _set_locked(self, seconds: int) -> None:
        self._lock_until = self.clock() + seconds if seconds else 0.0
        self.locked_for_s = seconds
        if seconds:
            self.pad_message = self.tr("Too many wrong PINs. Try again in {time}.",
                                       time=_mmss(seconds))

    def pad_key(self, key: str) -> None:
        self._pad_since = self.clock()
        if self.checking or self.locked_for_s:
            return
        if key == "back":
            self._pin = self._pin[:-1]
        elif key.isdigit() and len(self._pin) < PIN_MAX:
            self._pin += key
            self.pad_message = ""
        self.pin_length = len(self._pin)

    def pad_ok(self) -> None:
        if self.checking or self.locked_for_s or len(self._pin) < 4:
            return
        pin, self._pin, self.pin_length = self._pin, "", 0
        if self.pad_mode == "enter":
            self.checking = True
            self._entered = pin  # kept only until the answer: a too-short PIN goes on to a change
            self.run(lambda led: OwnerAccess(led, self._lock()).try_pin(pin), self._pin_checked)
            return
        self._pin_change[self.pad_mode] = pin
        if self.pad_mode == "current":
            self.pad_mode, self.pad_message = "new", ""
        elif self.pad_mode == "new":
            self.pad_mode = "repeat"
        else:
            change = dict(self._pin_change)
            self._pin_change.clear()
            self.checking = True
            self.run(lambda led: OwnerAccess(led, self._lock()).change_pin(
                change["current"], change["new"], change["repeat"]), self._pin_changed)

    def pad_cancel(self) -> None:
        self._pin_change.clear()
        if self.is_open:
            self.show("owner_home")
        else:
            self.leave("cancelled")

    def _pin_checked(self, result: Any) -> None:
        self.checking = False
        entered, self._entered = getattr(self, "_entered", ""), ""
        if result.outcome is Outcome.OPEN:
            self.is_open = True
            self.session.opened(self.clock())
            self.refresh_home()
            self.show("owner_home")
            if result.must_change:
                # Ask for a new PIN at once; the one just typed is the current one. Cancel
                # leaves the pad for the settings home, as any change does.
                self.start_pin_change()
                self._pin_change["current"] = entered
                self.pad_mode = "new"
                self.pad_message = self.words(result.message)
            return
        self.pad_message = self.words(result.message)
        self._set_locked(result.lock.locked_for_s)

    def start_pin_change(self) -> None:
        self._pin, self.pin_length, self.pad_message = "", 0, ""
        self._pin_change.clear()
        self.pad_mode = "current"
        self.show("settings")

    def _pin_changed(self, result: Any) -> None:
        self.checking = False
        self.pad_mode = "enter"
        self._set_locked(result.lock.locked_for_s)
        self.pad_message = self.words(result.message)
        if result.outcome is Outcome.CHANGED:
            self.display_message = self.pad_message
            self.show("owner_home")

    # -- leaving --------------------------------------------------------------------------

    def leave(self, reason: str = "done") -> None:
        """Close the settings (the owner's « Fermer », inactivity, or a donation starting)."""
        self.is_open = False
        self._pad_since = None
        self.pad_mode, self._pin, self.pin_length = "enter", "", 0
        self.draft = None
        if self.session.close():
            self.run(lambda led: led.audit(ACTOR, "settings_closed", reason=reason))
        self.show("attract")

    def _on_touch(self, _window: Any, touch: Any) -> bool:
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

    def _swallow_waking(self, _window: Any, touch: Any) -> bool:
        """The rest of a waking touch (its move and lift) must not reach the attract loop
        that is now under the finger: lifting a finger never starts a donation."""
        return bool(touch.ud.get("owner_wake"))

    def _tick(self, _dt: float) -> None:
        now = self.clock()
        if self._lock_until:
            left = max(0, int(self._lock_until - now + 0.999))
            if left != self.locked_for_s:
                self._set_locked(left)
                if not left:
                    self.pad_message = ""
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
            self._apply_brightness(int(self.brightness))
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

    # -- home: today, terminal, sync ------------------------------------------------------

    def refresh_home(self) -> None:
        self.run(lambda led: (glance(led), sync_request.waiting(led)), self._home_loaded)

    def _home_loaded(self, result: Any) -> None:
        self._glance, self.sync_waiting = result
        self._render_home()

    def _render_home(self) -> None:
        g = self._glance
        if g is None:
            return
        money = self.app.money
        self.today_text = self.tr("Donations today: {count} ({total})", count=g.today_count,
                                  total=money(g.today_cents))
        self.backlog_text = (self.tr("Waiting to be sent: {count} ({total})",
                                     count=g.backlog_count, total=money(g.backlog_cents))
                             if g.backlog_count else self.tr("Everything has been sent."))
        if g.last_sync_at is None:
            self.last_sync_text = self.tr("Never synchronised yet.")
        else:
            self.last_sync_text = self.tr("Last synchronised: {when}",
                                          when=g.last_sync_at.strftime("%d/%m %H:%M"))
        if self.sync_waiting:
            self.last_sync_text += " " + self.tr("(synchronising…)")
        self.attention = [self.words(m) for m in g.attention]
        self.terminal_text = self.words(self._terminal) if self._terminal else ""

    def _render_all(self) -> None:
        self._render_home()
        if self.draft is not None:
            self._render_draft()

    def test_terminal(self) -> None:
        """« Tester le terminal »: the bridge's status probe, never a payment."""
        if self.terminal_testing:
            return
        self.terminal_testing = True
        self.terminal_text = self.tr("Testing the terminal…")
        port = self.app.context.port

        def probe(led: Ledger) -> Any:
            if port is None:
                health = terminal_words.describe(None, "no terminal bridge in this build")
            else:
                try:
                    health = terminal_words.describe(port.status())
                except Exception as e:  # noqa: BLE001 - an absent bridge is the answer
                    health = terminal_words.describe(None, e)
            led.audit(ACTOR, "terminal_tested", ok=health.ok)
            return health
        self.run(probe, self._terminal_tested)

    def _terminal_tested(self, health: Any) -> None:
        self.terminal_testing = False
        self.terminal_ok = health.ok
        self._terminal = health.message
        self.terminal_text = self.words(health.message)

    def sync_now(self) -> None:
        self.sync_waiting = True
        self.run(sync_request.request, lambda _n: self._render_home())
        Clock.schedule_once(lambda _dt: self._poll_sync(), 1.0)

    def _poll_sync(self) -> None:
        if not self.is_open:
            return

        def still_waiting(waiting: bool) -> None:
            if waiting:
                Clock.schedule_once(lambda _dt: self._poll_sync(), 1.0)
            else:
                self.refresh_home()
        self.run(sync_request.waiting, still_waiting)

    # -- featured -------------------------------------------------------------------------

    def open_featured(self) -> None:
        opts = self.options

        def load(led: Ledger) -> FeaturedDraft:
            cat = catalogmod.load(led.db, opts.data_dir)
            return FeaturedDraft.start(led, cat, opts.max_featured, self.now().date())
        self.featured_message, self.featured_saved = "", False
        self.run(load, self._draft_loaded)
        self.show("owner_featured")

    def _draft_loaded(self, draft: FeaturedDraft) -> None:
        self.draft = draft
        self._saved_choice = list(draft.chosen)
        self._render_draft()

    def _render_draft(self) -> None:
        draft = self.draft
        self.entries = draft.entries()
        self.chosen_count = len(draft.chosen)
        self.preview = draft.preview()
        self.featured_dirty = draft.chosen != self._saved_choice

    def toggle_project(self, project_id: str) -> None:
        if self.draft is None:
            return
        self.featured_saved = False
        try:
            self.draft.toggle(project_id)
            self.featured_message = ""
        except FeaturedRefused as e:
            self.featured_message = self.words(e.message)
        self._render_draft()

    def move_project(self, project_id: str, step: int) -> None:
        if self.draft is not None and project_id in self.draft.chosen:
            self.featured_saved = False
            self.draft.move(project_id, step)
            self._render_draft()

    def save_featured(self) -> None:
        draft = self.draft
        if draft is None:
            return
        chosen = list(draft.chosen)
        limit = self.options.max_featured

        def save(led: Ledger) -> Any:
            try:
                featuredmod.save(led, draft.catalog, chosen, limit, draft.today)
            except FeaturedRefused as e:
                return e.message
            return catalogmod.featured(led.db, draft.catalog, limit, draft.today)
        self.run(save, self._featured_written)

    def _featured_written(self, result: Any) -> None:
        if isinstance(result, Message):
            self.featured_message = self.words(result)
            return
        self._saved_choice = list(self.draft.chosen) if self.draft else []
        self.app.set_projects(result)  # the attract loop shows the new choice at once
        self.featured_message = self.tr("Saved: the kiosk now shows these projects.")
        self.featured_saved = True
        self._render_draft()

    # -- display: language, opening hours, brightness -------------------------------------

    def _load_screen_settings(self, led: Ledger) -> tuple[OpeningHours, Any]:
        hours = OpeningHours.for_kiosk(led, self.options.opening_time, self.options.closing_time)
        brightness = led.get_setting(BRIGHTNESS_SETTING)
        if not isinstance(brightness, int) and self.backlight is not None:
            try:
                brightness = self.backlight.percent()  # what the display is at now
            except (OSError, ValueError) as e:
                log.warning("brightness unreadable: %s", e)
        return hours, brightness

    def _screen_settings_loaded(self, result: Any) -> None:
        hours, brightness = result
        self.idle.hours = hours
        self.opens, self.closes = (hours.as_setting()[k] for k in ("opens", "closes"))
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

    def shift_hours(self, which: str, minutes: int) -> None:
        current = OpeningHours.parse(self.opens, self.closes)
        moment = dt.datetime.combine(dt.date(2000, 1, 1), getattr(current, which))
        shifted = (moment + dt.timedelta(minutes=minutes)).time()
        hours = (OpeningHours(shifted, current.closes) if which == "opens"
                 else OpeningHours(current.opens, shifted))
        self.opens, self.closes = (hours.as_setting()[k] for k in ("opens", "closes"))
        self.idle.hours = hours
        self.run(lambda led: _save(led, HOURS_SETTING, hours.as_setting(),
                                   "opening_hours_changed", **hours.as_setting()))

    def set_brightness(self, percent: int) -> None:
        percent = max(10, min(100, int(percent)))
        self.brightness = percent
        self._apply_brightness(percent)
        self.run(lambda led: _save(led, BRIGHTNESS_SETTING, percent, "brightness_changed",
                                   percent=percent))


def _save(led: Ledger, key: str, value: Any, action: str, **detail: Any) -> None:
    """A setting and its audit row, committed together."""
    led.set_setting(key, value, audit=AuditEntry(ACTOR, action, detail))


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"

