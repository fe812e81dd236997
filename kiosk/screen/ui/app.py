"""KioskApp: the screen process's Kivy application.

Thin by design: every tap becomes one call on
:class:`kiosk.screen.donation_flow.DonationFlow`, whose
effects are run here on worker threads (ledger and bridge I/O never on the UI thread); results
come back through the Kivy Clock and only then touch widgets. Screens bind to the app's
properties from their .kv files.

The shop owner's settings (``kiosk.screen.ui.owner_panel``) plug in through ``context.owner``:

- ``on_hidden_gesture`` is dispatched by the attract loop's hidden corner (a long press); it
  opens the owner's PIN pad only while ``flow.settings_allowed`` (the attract loop);
- ``donation_in_progress`` (a BooleanProperty) is True from the amount screen until the outcome
  screen is left: settings never show then, and close themselves if it becomes True;
- while an owner screen is showing, the flow's refresh does not switch screens;
  ``set_projects`` puts a new featured choice on the attract loop at once.

``on_shown`` is dispatched once, after the first frame that shows the first screen whole: the
first health check is back (the call to action says whether giving is available) and, on the
attract loop, the first slide has its photo; ``kiosk.screen.startup`` then tells systemd the
screen is ready.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.graphics.texture import Texture
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.assets import SOUNDS_DIR
from kiosk.core import i18n, receipt
from kiosk.core.catalog import Project
from kiosk.core.money import format_cents
from kiosk.payment.recovery import resolve_pending
from kiosk.payment.runner import PaymentPort, run_donation
from kiosk.screen.donation_flow import (
    CancelPayment,
    DonationFlow,
    Effect,
    FlowOutcome,
    FlowSettings,
    FlowStep,
    PaymentResult,
    PlayConfirmation,
    StartPayment,
)
from kiosk.screen.health import Health, check_health, read_terminal
from kiosk.screen.ui import pictures, theme
from kiosk.screen.ui.screens import SCREENS

log = logging.getLogger("kiosk.screen")
PREWARM_AFTER_S = 2.0
# The screen counts as shown at the latest this long after the first frame, even if the first
# photo is still decoding (systemd is told the screen is ready then).
SHOWN_AT_LATEST_S = 3.0
# After a tap on an amount, the payment screen waits until the request is at the terminal
# (the bridge says "waiting_card") or this long, so building and drawing it never competes
# with the ledger commit and the bridge request (tap -> terminal latency). The pressed button
# is the feedback meanwhile.
PAYMENT_SCREEN_HOLD_S = 0.2
# The bridge reports these once the request has been written to the terminal.
REQUEST_SENT_STAGES = ("waiting_card", "receiving")
# The payment screen stays at least this long, even when the terminal answers at once, so the
# donor always sees the payment start before its outcome.
MIN_PAYMENT_SCREEN_S = 0.3
DONOR_SCREENS = ("amount", "payment", "thanks", "outcome", "keypad")
STAGES = {
    "connecting": "Connecting to the terminal…",
    "sending": "Sending the amount to the terminal…",
    "waiting_card": "Present your card on the terminal",
    "receiving": "Payment in progress, keep your card in place…",
}


@dataclass
class KioskContext:
    """Everything the screen needs, built by ``kiosk.screen.startup`` (or a test)."""

    flow_settings: FlowSettings
    projects: list[Project]
    ledger: Any  # kiosk.core.ledger.Ledger
    port: PaymentPort | None  # None: no bridge client available, giving is out of service
    device_id: str
    receipt_base_url: str
    language: str = "fr"
    slide_duration_s: float = 8.0
    health_interval_s: float = 5.0
    result_wait_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    sound_path: Path | None = field(default_factory=lambda: SOUNDS_DIR / "thanks.wav")
    owner: Any = None  # kiosk.owner.options.OwnerOptions; None: no settings screens
    # Re-read on the I/O thread at each health check: (version key, featured projects).
    projects_source: Callable[[], tuple[str, list[Project]]] | None = None
    projects_version: str = ""
    # The first health check, when it was started before the app (kiosk.screen.startup does, so
    # the first frame shows whether giving is available); None: the app starts it.
    first_health: Future | None = None
    # Where the first slide's photo is kept, scaled, across restarts (pictures.FirstPhotoCache);
    # None: decoded at every start.
    first_photo_cache: Path | None = None


class KioskApp(App):
    lang = StringProperty("fr")
    scale = NumericProperty(1.0)
    portrait = BooleanProperty(False)
    available = BooleanProperty(False)
    unavailable_reason = StringProperty("")
    online = BooleanProperty(True)
    donation_in_progress = BooleanProperty(False)
    step = StringProperty("attract")
    # the donation being made
    project_title = StringProperty("")
    project_association = StringProperty("")
    amount_text = StringProperty("")
    preset_labels = ListProperty([])
    keypad_text = StringProperty("")
    keypad_hint = StringProperty("")
    keypad_ok = BooleanProperty(False)
    stage_text = StringProperty("")
    countdown_text = StringProperty("")
    cancellable = BooleanProperty(False)
    outcome = StringProperty("")
    receipt_url = StringProperty("")
    receipt_texture = ObjectProperty(None, allownone=True)

    __events__ = ("on_hidden_gesture", "on_shown")

    def __init__(self, context: KioskContext, **kwargs: Any):
        super().__init__(**kwargs)
        # The UI thread hands the GIL over within 1 ms (default 5 ms), so the payment worker
        # reaches the ledger and the bridge quickly after a tap (tap -> terminal latency).
        sys.setswitchinterval(0.001)
        self.context = context
        self.lang = context.language
        self.flow = DonationFlow(context.flow_settings)
        self.projects = list(context.projects)
        self._io = ThreadPoolExecutor(1, thread_name_prefix="kiosk-io")   # ledger + pay
        self._side = ThreadPoolExecutor(1, thread_name_prefix="kiosk-side")  # cancel, status
        self._pictures = ThreadPoolExecutor(1, thread_name_prefix="kiosk-pictures")
        self._refresh_trigger = Clock.create_trigger(self._refresh, -1)
        self.receipt_key: str | None = None
        self.health: Health | None = None
        self._sound: Any = None
        self._health_running = False
        self._hold_payment_until: float | None = None  # see PAYMENT_SCREEN_HOLD_S
        self._payment_shown_at: float | None = None  # see MIN_PAYMENT_SCREEN_S
        self.manager: ScreenManager | None = None
        self.owner: Any = None  # kiosk.screen.ui.owner_panel.OwnerPanel once built
        self._shown = False  # see on_shown
        self._first_flip_at: float | None = None
        self._shown_limit = Clock.create_trigger(self._shown_at_the_latest, 0.1)

    # -- build ------------------------------------------------------------------------

    def build(self) -> ScreenManager:
        self.title = "Kiosk"
        Window.clearcolor = theme.rgba(theme.BACKGROUND)  # every screen's background
        importlib.import_module("kiosk.screen.ui.widgets")
        self.manager = ScreenManager(transition=NoTransition())
        Window.bind(size=self._on_window_size, on_touch_down=self._on_any_touch,
                    on_flip=self._check_shown)
        self._on_window_size(Window, Window.size)
        self.bind(lang=lambda *_: self._refresh_trigger())
        self._show("attract")
        self.screen("attract").start(Window.size)
        Clock.schedule_once(self._prewarm, PREWARM_AFTER_S)
        Clock.schedule_interval(self._tick, 0.5)
        if self.context.first_health is not None:  # started before Kivy (kiosk.screen.startup)
            self._health_running = True
            self.context.first_health.add_done_callback(self._first_health_done)
        else:
            self._schedule_health(0)
        Clock.schedule_interval(self._periodic_health, self.context.health_interval_s)
        return self.manager

    def _first_health_done(self, future: Future) -> None:
        try:
            health = future.result()
        except Exception:  # noqa: BLE001 - logged; the periodic check tries again
            log.exception("the first health check failed")
            Clock.schedule_once(lambda _dt: setattr(self, "_health_running", False), 0)
            return
        self._health_done(health)

    def _check_shown(self, *_args: Any) -> None:
        """After each frame until the first screen is whole (photo included) on the display."""
        if self.manager is None or self._shown:
            return
        if self.health is None or getattr(self.manager.current_screen, "waiting_for_photo",
                                          False):
            if self._first_flip_at is None:
                self._first_flip_at = time.monotonic()
            self._shown_limit()  # the photo redraws the frame; this is for the time limit
            return
        self._dispatch_shown()

    def _shown_at_the_latest(self, _dt: float) -> None:
        if self._shown or self._first_flip_at is None:
            return
        if time.monotonic() - self._first_flip_at < SHOWN_AT_LATEST_S:
            self._shown_limit()
            return
        log.warning("the first %s took over %.0f s; the screen counts as shown without it",
                    "health check" if self.health is None else "photo", SHOWN_AT_LATEST_S)
        self._dispatch_shown()

    def _dispatch_shown(self) -> None:
        Window.unbind(on_flip=self._check_shown)
        from kivy.graphics.opengl import glFinish

        glFinish()  # the frame is on the display, not only queued to the GPU
        self._shown = True
        self.dispatch("on_shown")
        # The owner's settings (and their opening hours) once the first frame is out: they
        # are not needed to draw it, and they would delay it (start-up).
        if self.context.owner is not None and self.owner is None:
            from kiosk.screen.ui.owner_panel import OwnerPanel

            OwnerPanel.install(self, self.context.owner)

    def on_shown(self) -> None:
        pass

    def _prewarm(self, _dt: float) -> None:
        """Once the loop runs, build the donor screens one per frame, so the first tap never
        waits for a .kv file to be parsed (start-up stays lazy)."""
        for name in DONOR_SCREENS:
            if self.manager is not None and not self.manager.has_screen(name):
                self.screen(name)
                Clock.schedule_once(self._prewarm, 0)
                return

    def on_stop(self) -> None:
        if self.owner is not None:
            self.owner.stop()
        self._io.shutdown(wait=False, cancel_futures=True)
        self._side.shutdown(wait=False, cancel_futures=True)
        self._pictures.shutdown(wait=False, cancel_futures=True)

    def submit_picture(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` on the pictures thread (decoding, scaling)."""
        return self._pictures.submit(fn, *args)

    def background(self, fn: Callable[..., Any], *args: Any,
                   done: Callable[[Any], None]) -> None:
        """Run ``fn(*args)`` off the UI thread (photos, QR codes); ``done`` gets the result on
        the worker thread and must hand it back with @mainthread."""
        def job() -> None:
            try:
                result = fn(*args)
            except Exception as e:  # noqa: BLE001 - a broken picture must not stop the loop
                log.warning("background job %s failed: %s", getattr(fn, "__name__", fn), e)
                return
            done(result)
        self._pictures.submit(job)

    def _on_window_size(self, _window: Any, size: tuple[int, int]) -> None:
        self.scale = theme.layout_scale(*size)
        self.portrait = size[1] > size[0]

    def _on_any_touch(self, *_args: Any) -> bool:
        self.flow.touched(self.context.clock())
        return False

    def screen(self, name: str) -> Any:
        """The screen called ``name``, created (and its .kv loaded) the first time."""
        assert self.manager is not None
        if not self.manager.has_screen(name):
            module, cls = SCREENS[name]
            screen_cls = getattr(importlib.import_module(module), cls)
            self.manager.add_widget(screen_cls(name=name))
        return self.manager.get_screen(name)

    def _show(self, name: str) -> None:
        self.screen(name)
        assert self.manager is not None
        if self.manager.current != name:
            self.manager.current = name
            if name == "payment":
                self._payment_shown_at = time.monotonic()

    # -- words ------------------------------------------------------------------------

    def tr(self, message: str, _language: str | None = None, **values: Any) -> str:
        """Translate ``message``; kv passes ``app.lang`` so the text follows the language."""
        text = i18n.tr(message, self.lang)
        return text.format(**values) if values else text

    def money(self, cents: int) -> str:
        return format_cents(cents, self.context.flow_settings.currency, self.lang)

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "fr" else "fr"

    # -- taps (one flow call each) ----------------------------------------------------

    def give(self, project_id: str) -> None:
        if self.flow.choose_project(project_id, self.context.clock()):
            self._refresh_trigger()

    def choose_preset(self, index: int) -> None:
        presets = self.context.flow_settings.preset_amounts_cents
        if 0 <= index < len(presets):
            self._run(self.flow.choose_amount(presets[index], self.context.clock()))

    def open_keypad(self) -> None:
        if self.flow.open_keypad(self.context.clock()):
            self._refresh_trigger()

    def keypad(self, key: str) -> None:
        if self.flow.keypad_press(key, self.context.clock()):
            self._refresh_trigger()

    def confirm_keypad(self) -> None:
        self._run(self.flow.confirm_keypad(self.context.clock()))

    def back(self) -> None:
        if self.flow.back(self.context.clock()):
            self._refresh_trigger()

    def cancel_payment(self) -> None:
        self._run(self.flow.request_cancel(self.context.clock()))

    def on_hidden_gesture(self) -> None:
        if self.owner is not None and self.flow.settings_allowed:
            self.owner.open_pad()

    def show_owner_screen(self, name: str) -> None:
        self._show(name)

    def set_projects(self, projects: list[Project]) -> None:
        """A new featured choice: the attract loop starts again from its first project."""
        self.projects = list(projects)
        attract = self.screen("attract")
        attract.index = 0
        attract.reload()

    def _owner_screen_showing(self) -> bool:
        return (self.owner is not None and self.manager is not None
                and self.owner.holds_screen(self.manager.current))

    # -- effects ----------------------------------------------------------------------

    def _run(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, StartPayment):
                self._hold_payment_until = time.monotonic() + PAYMENT_SCREEN_HOLD_S
                self._payment_shown_at = None
                self._io.submit(self._payment_worker, effect)
            elif isinstance(effect, CancelPayment):
                self._side.submit(self._cancel_worker, effect.reference)
            elif isinstance(effect, PlayConfirmation):
                self._play_confirmation()
        self._refresh_trigger()

    def _payment_worker(self, start: StartPayment) -> None:
        """Worker thread: the whole attempt, then one hand-back to the UI thread."""
        ctx = self.context
        if ctx.port is None:
            result = PaymentResult(FlowOutcome.NOT_STARTED, None, start.amount_cents,
                                   "no terminal bridge client")
        else:
            result = run_donation(
                ctx.ledger, ctx.port, start.project_id, start.amount_cents, start.currency,
                on_started=self._payment_started, on_progress=self._payment_progress,
                result_wait_s=ctx.result_wait_s)
        qr = None
        if result.outcome is FlowOutcome.APPROVED and self.receipt_key and result.donation_id:
            url = receipt.receipt_url(ctx.receipt_base_url, self.receipt_key, ctx.device_id,
                                      result.donation_id, start.amount_cents, start.currency,
                                      start.project_id)
            qr = (url, pictures.qr_pixels(url, 320))
        self._payment_finished(result, qr)

    def _cancel_worker(self, reference: str) -> None:
        try:
            assert self.context.port is not None
            self.context.port.cancel(reference)
        except Exception as e:  # noqa: BLE001 - the terminal may already be past cancelling
            log.info("cancel of %s not accepted: %s", reference, e)

    @mainthread
    def _payment_started(self, reference: str) -> None:
        self._run(self.flow.payment_started(reference))

    @mainthread
    def _payment_progress(self, stage: str, cancellable: bool) -> None:
        self.flow.payment_progress(stage, cancellable)
        if stage in REQUEST_SENT_STAGES:
            self._hold_payment_until = None
        self._refresh_trigger()

    @mainthread
    def _payment_finished(self, result: PaymentResult, qr: tuple[str, Any] | None) -> None:
        self._hold_payment_until = None
        if self.flow.step is FlowStep.PAYMENT:
            if self._payment_shown_at is None:
                self._refresh()  # shows the payment screen now
            shown_for = time.monotonic() - (self._payment_shown_at or time.monotonic())
            if shown_for < MIN_PAYMENT_SCREEN_S:
                Clock.schedule_once(lambda _dt: self._apply_payment_result(result, qr),
                                    MIN_PAYMENT_SCREEN_S - shown_for)
                return
        self._apply_payment_result(result, qr)

    def _apply_payment_result(self, result: PaymentResult,
                              qr: tuple[str, Any] | None) -> None:
        self.receipt_url, self.receipt_texture = "", None
        if qr is not None:
            self.receipt_url, self.receipt_texture = qr[0], texture_from(qr[1])
        if result.outcome in (FlowOutcome.NOT_STARTED, FlowOutcome.NOT_RECORDED):
            self._schedule_health(0)  # a guard or the ledger refused: re-check availability
        self._run(self.flow.payment_finished(result, self.context.clock()))

    def _play_confirmation(self) -> None:
        path = self.context.sound_path
        if path is None or not path.exists():
            return
        try:
            from kivy.core.audio import SoundLoader

            if self._sound is None:
                self._sound = SoundLoader.load(str(path))
            if self._sound is not None:
                self._sound.play()
        except Exception as e:  # noqa: BLE001 - no audio device must never stop a thank-you
            log.info("confirmation sound unavailable: %s", e)

    # -- health: terminal, ledger guards, sync ----------------------------------------

    def _periodic_health(self, _dt: float) -> None:
        # Not while a donor is choosing or paying: the I/O thread stays free for the payment
        # (a check queued just before a tap would delay the request to the terminal).
        if self.flow.step is FlowStep.ATTRACT:
            self._schedule_health(0)

    def _schedule_health(self, _dt: float) -> None:
        if self._health_running:
            return  # one check at a time; a payment may hold the I/O thread for minutes
        self._health_running = True
        self._side.submit(self._terminal_status_worker)

    def _terminal_status_worker(self) -> None:
        ctx = self.context
        terminal = read_terminal(ctx.port)
        min_amount = ctx.flow_settings.smallest_amount_cents
        previous = self.health.status_row if self.health else None
        if ctx.projects_source is not None:
            self._io.submit(ctx.projects_source).add_done_callback(self._projects_read)
        if terminal is not None and terminal.reachable:
            self._io.submit(self._recover_pending)
        future = self._io.submit(check_health, ctx.ledger, terminal, min_amount,
                                 ctx.port is not None, previous)
        future.add_done_callback(lambda f: self._health_done(f.result()))

    def _recover_pending(self) -> None:
        """Donations left pending by a crash or a lost answer: ask the bridge what became of
        them and record it; never pay again. On the I/O thread, so never beside a payment."""
        ledger = self.context.ledger
        try:
            if not ledger.pending():
                return
            outcome = resolve_pending(ledger, self.context.port)
        except Exception:  # noqa: BLE001 - logged; asked again at the next health check
            log.exception("cannot resolve pending donations")
            return
        for donation_id, state in outcome.resolved.items():
            log.info("recovered donation %s: %s", donation_id, state)
        if outcome.error:
            log.warning("pending donations not resolved yet: %s", outcome.error)

    def _projects_read(self, future: Any) -> None:
        try:
            version, projects = future.result()
        except Exception as e:  # noqa: BLE001 - a broken catalog: keep showing the last one
            log.warning("cannot re-read the catalog: %s", e)
            return
        self._projects_changed(version, projects)

    @mainthread
    def _projects_changed(self, version: str, projects: list[Project]) -> None:
        """A new catalog from kiosk-sync (or featured choice): applied on the attract loop
        only, never under a donor's finger; retried at the next check otherwise."""
        if version == self.context.projects_version or self.flow.step is not FlowStep.ATTRACT:
            return
        if self._owner_screen_showing():
            return
        self.context.projects_version = version
        if list(projects) != self.projects:  # the owner's panel may have applied it already
            self.set_projects(projects)

    @mainthread
    def _health_done(self, health: Health) -> None:
        self._health_running = False
        previous, self.health = self.health, health
        if previous is not None and (previous.available, previous.reason) != (
                health.available, health.reason):  # the journal tells when and why it changed
            if health.available:
                log.info("giving is available again")
            else:
                log.warning("giving is unavailable: %s", health.reason)
        self.receipt_key = health.receipt_key
        self.online = health.online
        if health.available and not self.projects:
            self.flow.set_availability(False, "no project to give to in the catalog")
        else:
            self.flow.set_availability(health.available, health.reason)
        self._refresh_trigger()
        if not self._shown:  # a frame even if nothing changed, so _check_shown sees the health
            Window.canvas.ask_update()

    # -- time and view ----------------------------------------------------------------

    def _tick(self, _dt: float) -> None:
        before = self.flow.step
        effects = self.flow.tick(self.context.clock())
        if effects:
            self._run(effects)
        if self.flow.step is not before or before is FlowStep.PAYMENT:
            self._refresh_trigger()

    def _refresh(self, *_args: Any) -> None:
        """Copy the flow's state into the properties the screens bind to."""
        flow, settings = self.flow, self.context.flow_settings
        if self._holding_payment_screen():
            return
        if flow.step is FlowStep.ATTRACT and self.step != "attract":
            self.lang = self.context.language  # the next donor starts in the default language
        self.available = flow.available
        self.unavailable_reason = flow.unavailable_reason or ""
        self.donation_in_progress = flow.step is not FlowStep.ATTRACT
        project = next((p for p in self.projects if p.id == flow.project_id), None)
        self.project_title = project.title if project else ""
        self.project_association = project.association if project else ""
        self.preset_labels = [self.money(c) for c in settings.preset_amounts_cents]
        self.amount_text = self.money(flow.amount_cents) if flow.amount_cents else ""
        cents = flow.keypad_cents
        self.keypad_text = self.money(cents) if cents else "— €" if self.lang == "fr" else "€ —"
        self.keypad_ok = flow.amount_allowed(cents)
        self.keypad_hint = self.tr("Between {low} and {high}", self.lang,
                                   low=self.money(settings.custom_min_cents),
                                   high=self.money(settings.custom_max_cents))
        stage = STAGES.get(flow.stage, STAGES["connecting"])
        if flow.cancel_requested:
            stage = "Cancelling…"
        self.stage_text = self.tr(stage)
        left = flow.seconds_left(self.context.clock())
        self.countdown_text = self.tr("Time left: {time}", time=f"{left // 60}:{left % 60:02d}")
        self.cancellable = flow.cancellable and not flow.cancel_requested
        self.outcome = flow.result.outcome.value if flow.result else ""
        self.step = flow.step.value
        if flow.step is FlowStep.ATTRACT and self._owner_screen_showing():
            return  # the owner's settings (or the idle) stay until they close themselves
        self._show(flow.step.value)


    def _holding_payment_screen(self) -> bool:
        """True while a payment request is on its way (nothing re-laid out or redrawn); the
        refresh comes again when the hold ends."""
        hold_until = self._hold_payment_until
        if hold_until is None or self.flow.step is not FlowStep.PAYMENT:
            return False
        left = hold_until - time.monotonic()
        if left <= 0:
            self._hold_payment_until = None
            return False
        Clock.schedule_once(lambda _dt: self._refresh_trigger(), left)
        return True


def texture_from(pixels: pictures.Pixels) -> Texture:
    texture = Texture.create(size=(pixels.width, pixels.height), colorfmt="rgb")
    texture.blit_buffer(pixels.data, colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()  # Pillow's rows run top-down, OpenGL's bottom-up
    return texture
