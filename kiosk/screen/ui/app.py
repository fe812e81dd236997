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

``on_shown`` is dispatched once, after the first frame that shows the first screen whole
(:mod:`kiosk.screen.ui.readiness`); ``kiosk.screen.startup`` then tells systemd the screen is
ready. The app holds the screen manager and the properties the screens bind to; health checks
(:mod:`kiosk.screen.ui.health_schedule`), the catalog re-read
(:mod:`kiosk.screen.catalog_watch`), the payment screen's timing
(:mod:`kiosk.screen.payment_hold`) and the chime (:mod:`kiosk.screen.ui.chime`) are objects
of their own.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.assets import SOUNDS_DIR
from kiosk.core import i18n
from kiosk.core.catalog import Project
from kiosk.core.funnel import Counter
from kiosk.core.money import format_cents
from kiosk.payment.runner import PaymentPort, run_donation
from kiosk.screen.catalog_watch import CatalogWatch
from kiosk.screen.count_batch import CountBatch, CountKey
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
from kiosk.screen.health import Health
from kiosk.screen.payment_hold import PaymentHold
from kiosk.screen.ui import frame_pacing, pictures, theme
from kiosk.screen.ui.chime import Chime
from kiosk.screen.ui.health_schedule import HealthSchedule
from kiosk.screen.ui.readiness import Readiness
from kiosk.screen.ui.screens import SCREENS
from kiosk.screen.ui.textures import texture_from

if TYPE_CHECKING:
    from kivy.core.window import WindowBase

    from kiosk.core.ledger import Ledger
    from kiosk.owner.options import OwnerOptions
    from kiosk.screen.ui.owner_panel import OwnerPanel

_T = TypeVar("_T")

log = logging.getLogger("kiosk.screen")
PREWARM_AFTER_S = 2.0
# How long at most the app's stop waits for the last engagement counts to be written (behind
# a payment still running, say); they are written before the process exits all the same.
COUNTS_STOP_WAIT_S = 5.0
DONOR_SCREENS = ("projects", "amount", "payment", "thanks", "outcome", "keypad")
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
    ledger: Ledger
    port: PaymentPort | None  # None: no bridge client available, giving is out of service
    device_id: str
    receipt_base_url: str
    language: str = "fr"
    slide_duration_s: float = 8.0
    health_interval_s: float = 5.0
    result_wait_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    sound_path: Path | None = field(default_factory=lambda: SOUNDS_DIR / "thanks.wav")
    owner: OwnerOptions | None = None  # None: no settings screens
    # Re-read on the I/O thread at each health check: (version key, featured projects).
    projects_source: Callable[[], tuple[str, list[Project]]] | None = None
    projects_version: str = ""
    # The first health check, when it was started before the app (kiosk.screen.startup does, so
    # the first frame shows whether giving is available); None: the app starts it.
    first_health: Future | None = None
    # Where the first slide's photo is kept, scaled, across restarts (pictures.FirstPhotoCache);
    # None: decoded at every start.
    first_photo_cache: Path | None = None
    # Engagement counts gathered in memory are written this often, on the attract loop only
    # (never beside a donor's payment); a crash loses at most this long of counts.
    count_flush_s: float = 30.0


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
    # {project id: (cents, gifts)} approved here and not synced yet (Ledger.local_progress)
    local_progress = ObjectProperty({})
    # The thank-you bar: where it starts and where it moves to (fractions of the goal).
    thanks_progress_from = NumericProperty(0.0)
    thanks_progress_to = NumericProperty(0.0)
    thanks_supporter = NumericProperty(0)  # 0: the catalog does not count supporters
    thanks_goal_reached = BooleanProperty(False)
    thanks_has_goal = BooleanProperty(False)
    thanks_doubled_by = StringProperty("")  # the sponsor who doubles this gift, in our view
    # The shop's total for the month as the loop shows it; 0: its slide is left out.
    shop_total_cents = NumericProperty(0)
    shop_name = StringProperty("")  # as the catalog carried it; "": the generic words

    __events__ = ("on_hidden_gesture", "on_shown")

    def __init__(self, context: KioskContext, **kwargs: Any):
        super().__init__(**kwargs)
        self.context = context
        self.lang = context.language
        self.flow = DonationFlow(context.flow_settings, on_count=self.count)
        self.counts = CountBatch()
        self._stopping = False
        self.projects = list(context.projects)
        self._io = ThreadPoolExecutor(1, thread_name_prefix="kiosk-io")   # ledger + pay
        self._side = ThreadPoolExecutor(1, thread_name_prefix="kiosk-side")  # cancel, status
        self._pictures = ThreadPoolExecutor(1, thread_name_prefix="kiosk-pictures")
        self._refresh_trigger = Clock.create_trigger(self._refresh, -1)
        self.catalog = CatalogWatch(context.projects_source, context.projects_version)
        self.health_schedule = HealthSchedule(
            context, self.catalog, io=self._io, side=self._side,
            idle=lambda: self.flow.step is FlowStep.ATTRACT, on_health=self._health_done,
            on_projects=self._projects_changed)
        self.readiness = Readiness(
            health_back=lambda: self.health is not None,
            photo_pending=lambda: bool(getattr(self.manager.current_screen, "waiting_for_photo",
                                               False)),
            shown=self._dispatch_shown)
        self.payment_hold = PaymentHold()
        self.chime = Chime(context.sound_path)
        self.receipt_key: str | None = None
        self.manager: ScreenManager | None = None
        self.owner: OwnerPanel | None = None  # once the first frame is shown
        self.frame_pacer: frame_pacing.FramePacer | None = None  # set by build
        self._frame_held = False  # whether this frame's draw was held back (payment_hold)
        self._after_shown: list[Callable[[], None]] = []

    @property
    def health(self) -> Health | None:
        """The latest health check's answer; None until the first is back."""
        return self.health_schedule.health

    # -- build ------------------------------------------------------------------------

    def build(self) -> ScreenManager:
        self.title = "Kiosk"
        Window.clearcolor = theme.rgba(theme.BACKGROUND)  # every screen's background
        importlib.import_module("kiosk.screen.ui.widgets")
        self.manager = ScreenManager(transition=NoTransition())
        # One frame queued to the GPU at most: a renderer falling behind keeps no backlog.
        self.frame_pacer = frame_pacing.install(Window)
        Window.bind(size=self._on_window_size, on_touch_down=self._on_any_touch)
        self.readiness.watch()
        self._on_window_size(Window, Window.size)
        self.bind(lang=lambda *_: self._refresh_trigger())
        self._show("attract")
        self.screen("attract").start(Window.size)
        Clock.schedule_once(self._prewarm, PREWARM_AFTER_S)
        Clock.schedule_interval(self._tick, 0.5)
        Clock.schedule_interval(self._flush_counts, self.context.count_flush_s)
        self.health_schedule.start()
        # Bound last, so asked first: no frame while a donor's request is on its way to the
        # terminal (kiosk.screen.payment_hold); Kivy draws the frame once the hold ends.
        Window.bind(on_draw=self._hold_draw, on_flip=self._hold_flip)
        return self.manager

    def _hold_draw(self, *_args: Any) -> bool:
        self._frame_held = self.payment_hold.frames_held()
        return self._frame_held

    def _hold_flip(self, *_args: Any) -> bool:
        # The draw's decision, not asked again: a hold ending between the two would swap in
        # a frame never drawn.
        return self._frame_held

    def _dispatch_shown(self) -> None:
        self.dispatch("on_shown")
        # The owner's settings (and their opening hours) once the first frame is out: they
        # are not needed to draw it, and they would delay it (start-up).
        if self.context.owner is not None and self.owner is None:
            from kiosk.screen.ui.owner_panel import OwnerPanel

            OwnerPanel.install(self, self.context.owner)
        waiting, self._after_shown = self._after_shown, []
        for fn in waiting:
            fn()

    def after_shown(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the UI thread once the first screen is shown (now if it is already):
        for work the first frame does not need, such as the slides' QR codes, which would
        otherwise compete with it for the two cores (start-up)."""
        if self.readiness.shown:
            fn()
        else:
            self._after_shown.append(fn)

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
        self._io.submit(self._read_progress)

    def _read_progress(self) -> None:
        """I/O thread: the gifts the catalog's totals do not count yet, and the shop's total
        for the month."""
        from kiosk.screen.matching import shop_total_to_show

        try:
            local = self.context.ledger.local_progress()
            shop_total, shop_name = shop_total_to_show(self.context.ledger,
                                                       dt.datetime.now(dt.UTC))
        except Exception as e:  # noqa: BLE001 - the bars then show the catalog's totals
            log.warning("cannot read the local progress: %s", e)
            return
        self._progress_read(local, shop_total, shop_name)

    def read_progress_soon(self) -> None:
        """Read the local progress and the shop's total again (owner's toggle, new catalog)."""
        self._io.submit(self._read_progress)

    @mainthread
    def _progress_read(self, local: dict[str, tuple[int, int]], shop_total: int = 0,
                       shop_name: str = "") -> None:
        from kiosk.screen.matching import doubled_by
        from kiosk.screen.project_choice import progress

        self.shop_name = shop_name  # before the total: the slide's words read both
        self.shop_total_cents = shop_total
        project = next((p for p in self.projects if p.id == self.flow.project_id), None)
        if project is not None:  # a gift to it was just approved: the thank-you's bar
            # Doubled if, before this gift, our view of the sponsor's budget had some left.
            self.thanks_doubled_by = doubled_by(
                project, self.local_progress.get(project.id, (0, 0))[0])
            before, after = progress(project, self.local_progress), progress(project, local)
            self.thanks_progress_from, self.thanks_progress_to = before.fraction, after.fraction
            self.thanks_has_goal = bool(after.goal_cents)
            self.thanks_goal_reached = after.reached
            self.thanks_supporter = after.supporters or 0
        self.local_progress = local

    def on_stop(self) -> None:
        if self._stopping:
            return  # Kivy dispatches on_stop from stop() and again as run() returns
        if self.owner is not None:
            self.owner.stop()
        self._stopping = True  # a payment still queued on the I/O thread does not start
        last = self._io.submit(self._write_counts, self.counts.take())
        self._io.shutdown(wait=False)
        try:  # a clean stop loses no count: written behind whatever the I/O thread is doing
            last.result(timeout=COUNTS_STOP_WAIT_S)
        except TimeoutError:
            log.warning("engagement counts still waiting for the I/O thread at stop")
        self._side.shutdown(wait=False, cancel_futures=True)
        self._pictures.shutdown(wait=False, cancel_futures=True)

    def submit_picture(self, fn: Callable[..., _T], *args: Any) -> Future[_T]:
        """Run ``fn(*args)`` on the pictures thread (decoding, scaling)."""
        return self._pictures.submit(fn, *args)

    def background(self, fn: Callable[..., _T], *args: Any,
                   done: Callable[[_T], None]) -> None:
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

    def _on_window_size(self, _window: WindowBase, size: tuple[int, int]) -> None:
        self.scale = theme.layout_scale(*size)
        self.portrait = size[1] > size[0]

    def _on_any_touch(self, *_args: Any) -> bool:
        self.flow.touched(self.context.clock())
        return False

    def screen(self, name: str) -> Any:
        """The screen called ``name``, created (and its .kv loaded) the first time (Any: its
        class is picked by name at run time; callers use that class's own methods)."""
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
                self.payment_hold.screen_shown()

    # -- words ------------------------------------------------------------------------

    def tr(self, message: str, _language: str | None = None, **values: Any) -> str:
        """Translate ``message``; kv passes ``app.lang`` so the text follows the language."""
        text = i18n.tr(message, self.lang)
        return text.format(**values) if values else text

    def money(self, cents: int) -> str:
        return format_cents(cents, self.context.flow_settings.currency, self.lang)

    def raised_of_goal(self, raised_cents: int, goal_cents: int,
                       _language: str | None = None) -> str:
        """« 1 240 € raised of 3 000 € », or nothing for a project without a goal; kv passes
        ``app.lang`` so the text follows the language."""
        if not goal_cents:
            return ""
        return self.tr("{raised} raised of {goal}", raised=self.money(int(raised_cents)),
                       goal=self.money(int(goal_cents)))

    def ordinal(self, n: int, _language: str | None = None) -> str:
        """« 48ᵉ », « 1er »; "48th", "1st"."""
        if self.lang == "fr":
            return "1er" if n == 1 else f"{n}ᵉ"
        suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"

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

    def open_projects(self) -> None:
        if self.flow.open_projects(self.context.clock()):
            self._refresh_trigger()

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

    # -- anonymous engagement counts (kiosk.core.funnel) -----------------------------------

    def count(self, counter: Counter, project_id: str) -> None:
        """UI thread, never waits: gathered in memory (kiosk.screen.count_batch) and written
        with the others by the next flush on the attract loop, or at the app's stop."""
        self.counts.add(counter, project_id)

    def _flush_counts(self, _dt: float = 0) -> None:
        """Every ``count_flush_s``, on the attract loop only: the I/O thread stays free for a
        donor's payment, whose pending commit never waits behind a batch of counts."""
        if self.counts and self.flow.step is FlowStep.ATTRACT:
            self._io.submit(self._write_counts, self.counts.take())

    def _write_counts(self, counts: dict[CountKey, int]) -> None:
        """I/O thread: the batch in one short transaction; a failure loses that batch only
        (never a donation, never the screen)."""
        try:
            self.context.ledger.add_counts(counts)
        except Exception as e:  # noqa: BLE001 - a count is never worth an error screen
            log.warning("%d engagement counts not stored: %s", sum(counts.values()), e)

    # -- effects ----------------------------------------------------------------------

    def _run(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, StartPayment):
                self.payment_hold.started()
                self._io.submit(self._payment_worker, effect)
            elif isinstance(effect, CancelPayment):
                self._side.submit(self._cancel_worker, effect.reference)
            elif isinstance(effect, PlayConfirmation):
                self.chime.play()
        self._refresh_trigger()

    def _payment_worker(self, start: StartPayment) -> None:
        """Worker thread: the whole attempt, then one hand-back to the UI thread."""
        ctx = self.context
        if self._stopping:
            return  # queued when the app stopped: never started, nothing to recover
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
            from kiosk.core import receipt  # hashlib and hmac: not on the start-up path

            url = receipt.receipt_url(ctx.receipt_base_url, self.receipt_key, ctx.device_id,
                                      result.donation_id, start.amount_cents, start.currency,
                                      start.project_id)
            qr = (url, pictures.qr_pixels(url, 320))
        if result.outcome is FlowOutcome.APPROVED:
            self._read_progress()  # before the thank-you: its bar moves to the new total
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
        self.payment_hold.progress(stage)
        self._refresh_trigger()

    @mainthread
    def _payment_finished(self, result: PaymentResult,
                          qr: tuple[str, pictures.Pixels] | None) -> None:
        self.payment_hold.finished()
        if self.flow.step is FlowStep.PAYMENT:
            if not self.payment_hold.screen_showing:
                self._refresh()  # shows the payment screen now
            delay = self.payment_hold.outcome_delay()
            if delay > 0:
                Clock.schedule_once(lambda _dt: self._apply_payment_result(result, qr), delay)
                return
        self._apply_payment_result(result, qr)

    def _apply_payment_result(self, result: PaymentResult,
                              qr: tuple[str, pictures.Pixels] | None) -> None:
        self.receipt_url, self.receipt_texture = "", None
        if qr is not None:
            self.receipt_url, self.receipt_texture = qr[0], texture_from(qr[1])
        if result.outcome in (FlowOutcome.NOT_STARTED, FlowOutcome.NOT_RECORDED):
            self.health_schedule.check_now()  # a guard or the ledger refused: re-check availability
        self._run(self.flow.payment_finished(result, self.context.clock()))

    # -- health and catalog (HealthSchedule brings them back on the UI thread) -----------

    def _projects_changed(self, version: str, projects: list[Project]) -> None:
        attract = self.flow.step is FlowStep.ATTRACT and not self._owner_screen_showing()
        new_catalog = version != self.catalog.version
        changed = self.catalog.accept(version, projects, self.projects,
                                      attract_showing=attract)
        if changed is not None:
            self.set_projects(changed)
        if new_catalog:  # its shop total may have changed
            self.read_progress_soon()

    def _health_done(self, health: Health) -> None:
        self.receipt_key = health.receipt_key
        self.online = health.online
        if health.available and not self.projects:
            self.flow.set_availability(False, "no project to give to in the catalog")
        else:
            self.flow.set_availability(health.available, health.reason)
        self._refresh_trigger()
        if not self.readiness.shown:  # a frame even if nothing changed: Readiness checks
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
        if self.flow.step is not FlowStep.PAYMENT:
            return False
        left = self.payment_hold.hold_left()
        if left <= 0:
            return False
        Clock.schedule_once(lambda _dt: self._refresh_trigger(), left)
        return True

