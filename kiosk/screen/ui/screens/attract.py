"""The attract loop: featured projects slide by, one call to action.

Two slide screens are reused in turn with a plain SlideTransition (no shaders); between
slides nothing changes, so nothing is redrawn. Photos are decoded and scaled on a worker
thread to the size they are shown at; a small LRU keeps the textures.
"""

from __future__ import annotations

import gc
import logging
from concurrent.futures import Future, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.layout import Layout
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager, SlideTransition
from kivy.uix.widget import Widget

from kiosk.core.catalog import Project
from kiosk.core.funnel import Counter
from kiosk.screen.engagement import PledgeView, band_view
from kiosk.screen.matching import shop_total_view, sponsor_line
from kiosk.screen.ui import pictures
from kiosk.screen.ui.textures import texture_from
from kiosk.screen.ui.widgets import KioskScreen

if TYPE_CHECKING:
    from kivy.clock import ClockEvent
    from kivy.input.motionevent import MotionEvent

    from kiosk.screen.project_choice import ProjectChoice
    from kiosk.screen.ui.app import KioskApp

    PhotoKey = tuple[str, int, int]  # (project id, width, height)

log = logging.getLogger("kiosk.screen")
Builder.load_file(str(Path(__file__).with_suffix(".kv")))

HIDDEN_GESTURE_HOLD_S = 3.0
PHOTO_TEXTURES = 8  # photo textures kept: the default six featured never decode twice
MAX_SLIDES = 8  # slides kept built; the default six featured projects never rebuild
QR_PX = 160
ASK_QR_PX = 320  # the sign-up QR fills the photo's place: read from a step away
SWIPE_MIN = 60  # layout units a finger travels sideways for a swipe (less is a tap)
# Before the very first frame, the UI thread waits this long at most for the first photo
# (decoded on the pictures thread), so the first frame shows the slide whole instead of an
# empty frame the photo pops into a few frames later; after that it carries on without it.
FIRST_PHOTO_WAIT_S = 0.15
SHOP_SLIDE = "shop_total"
# A dropped slide's widgets hold each other in reference cycles, so their text and photo
# textures (native memory) would wait for Python's occasional full collection; one is run
# this long after a drop, once the slide transition is over and nothing is being drawn.
COLLECT_AFTER_DROP_S = 1.0


def _layout_now(widget: Widget) -> None:
    """Lay ``widget`` and everything in it out at once, top-down (Kivy would do it over the
    next frames, through its layout triggers)."""
    if isinstance(widget, Layout):
        widget.do_layout()
    for child in widget.children:
        _layout_now(child)


class ProjectSlide(Screen):
    project_id = StringProperty("")
    association = StringProperty("")
    title = StringProperty("")
    summary = StringProperty("")
    raised_cents = NumericProperty(0)
    goal_cents = NumericProperty(0)
    photo = ObjectProperty(None, allownone=True)
    learn_more = ObjectProperty(None, allownone=True)
    # The slide's engagement band (kiosk.screen.engagement): the project's open volunteer ask,
    # else its pledge (``band_kind`` says which); the ask_* properties hold either's words.
    band_kind = StringProperty("")  # "ask", "pledge" or "" (no band)
    ask_what = StringProperty("")
    ask_when = StringProperty("")
    ask_details = StringProperty("")  # when · how long · where, beside its QR
    ask_count = StringProperty("")
    ask_url = StringProperty("")
    ask_qr = ObjectProperty(None, allownone=True)
    ask_open = BooleanProperty(False)  # its QR shows in the photo's place
    # « Chaque don doublé … — la boulangerie Martin » while the sponsor's budget lasts
    # (kiosk.screen.matching), else "".
    sponsor_line = StringProperty("")

    def on_touch_down(self, touch: MotionEvent) -> bool:
        # Only a touch that began on the slide itself (not on an arrow above it) may give.
        touch.ud["on_slide"] = True
        # Nor one on the ask's band or its QR: that person is volunteering, not giving.
        x, y = self.to_local(*touch.pos)  # a Screen lays its children out in its own frame
        if self.ask_url and (self.ids.ask_band.collide_point(x, y) or (
                self.ask_open and self.ids.ask_panel.collide_point(x, y))):
            touch.ud["engage"] = True
        return super().on_touch_down(touch)

    def on_leave(self, *_args: Any) -> None:
        self.ask_open = False

    def on_touch_up(self, touch: MotionEvent) -> bool:
        # Tapping the project itself gives to it, like the call to action below it.
        if (self.manager and self.manager.current_screen is self and self.project_id
                and touch.ud.get("on_slide")
                and self.collide_point(*touch.pos) and self.collide_point(*touch.opos)
                and "hidden_corner" not in touch.ud and "engage" not in touch.ud
                and not _is_swipe(touch)):
            App.get_running_app().give(self.project_id)
            return True
        return super().on_touch_up(touch)


def _is_swipe(touch: MotionEvent) -> int:
    """-1 (to the previous project), +1 (to the next) or 0 (not a swipe)."""
    dx, dy = touch.x - touch.ox, touch.y - touch.oy
    if abs(dx) < SWIPE_MIN * App.get_running_app().scale or abs(dx) < 2 * abs(dy):
        return 0
    return -1 if dx > 0 else 1  # a finger moving right brings the previous project in


def _set_ask_words(slide: ProjectSlide, project: Project, lang: str) -> None:
    view = band_view(project, lang)
    slide.band_kind = "" if view is None else "pledge" if isinstance(view, PledgeView) else "ask"
    slide.ask_what = view.what if view else ""
    slide.ask_when = view.when if view else ""
    slide.ask_details = view.details if view else ""
    slide.ask_count = view.count if view else ""
    if slide.ask_url != (view.url if view else ""):
        slide.ask_url, slide.ask_qr, slide.ask_open = (view.url if view else ""), None, False


def _set_sponsor_line(slide: ProjectSlide, project: Project, local_cents: int,
                      lang: str) -> None:
    slide.sponsor_line = sponsor_line(project, local_cents, lang)


class ShopTotalSlide(Screen):
    """The shop's own total for the month, between the loop's last project and its first:
    a tap on it opens the projects to give to."""

    amount = StringProperty("")
    words = StringProperty("")
    project_id = ""  # not a project: the attract screen's give() opens the projects instead
    photo = None

    def on_touch_up(self, touch: MotionEvent) -> bool:
        if (self.manager and self.manager.current_screen is self
                and self.collide_point(*touch.pos) and self.collide_point(*touch.opos)
                and "hidden_corner" not in touch.ud and not _is_swipe(touch)):
            App.get_running_app().open_projects()
            return True
        return super().on_touch_up(touch)


class HiddenCorner(Widget):
    """An invisible corner: holding it for a few seconds asks for the settings screen."""

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if self.collide_point(*touch.pos):
            touch.ud["hidden_corner"] = Clock.schedule_once(
                lambda _dt: App.get_running_app().dispatch("on_hidden_gesture"),
                HIDDEN_GESTURE_HOLD_S)
        return False

    def on_touch_up(self, touch: MotionEvent) -> bool:
        # Keep the key: the slide below must see that this touch began in the corner.
        event = touch.ud.get("hidden_corner")
        if event is not None:
            event.cancel()
        return False


class AttractScreen(KioskScreen):
    """One slide per project, built the first time it shows and kept (its words are rendered
    once); photo textures are the only thing released, through a small LRU."""

    index = NumericProperty(0)
    current_project_id = StringProperty("")
    dots = StringProperty("")  # where the shown project is among them: ○ ● ○
    several = BooleanProperty(False)  # arrows and dots only when there is a choice
    shop_amount = StringProperty("")  # the shop's total for the month, "" when not shown
    shop_words = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._rotate_event: ClockEvent | None = None
        self._textures: pictures.TextureCache[PhotoKey] = pictures.TextureCache(PHOTO_TEXTURES)
        self._refill = Clock.create_trigger(self._refill_current, 0)
        self._collect = Clock.create_trigger(self._collect_dropped, COLLECT_AFTER_DROP_S)
        self._recent: list[str] = []
        self._decoding: set[PhotoKey] = set()  # photos asked for and not back yet
        Clock.schedule_once(lambda _dt: self._show_first(), 0)
        self._choice: ProjectChoice | None = None
        App.get_running_app().bind(local_progress=self._progress_changed,
                                   lang=self._language_changed,
                                   shop_total_cents=self._shop_total_changed,
                                   shop_name=self._shop_total_changed)

    @property
    def choice(self) -> ProjectChoice:
        """The loop's decisions (kiosk.screen.project_choice), made on first use: not needed
        for the first frame, so not imported on the start-up path."""
        if self._choice is None:
            from kiosk.screen.project_choice import ProjectChoice

            app = App.get_running_app()
            self._choice = ProjectChoice(app.context.flow_settings.idle_timeout_s)
            self._choice.set_projects(self.projects, app.local_progress)
            self._choice.index = int(self.index)
            self._choice.shop_total = app.shop_total_cents > 0
        return self._choice

    def _progress_changed(self, _app: KioskApp, local: dict[str, tuple[int, int]]) -> None:
        if self._choice is not None:
            self._choice.set_projects(self.projects, local, keep=self.current_project_id)
        by_id = {p.id: p for p in self.projects}
        for slide in self.ids.slides.screens:
            project = by_id.get(slide.project_id)
            if project is not None:
                cents = local.get(project.id, (0, 0))[0]
                slide.raised_cents = project.raised_cents + cents
                _set_sponsor_line(slide, project, cents, App.get_running_app().lang)

    def _language_changed(self, app: Any, lang: str) -> None:
        by_id = {p.id: p for p in self.projects}
        for slide in self.ids.slides.screens:
            project = by_id.get(slide.project_id)
            if project is not None:
                _set_ask_words(slide, project, lang)
                _set_sponsor_line(slide, project,
                                  app.local_progress.get(project.id, (0, 0))[0], lang)
        self._shop_total_changed(app)

    def _shop_total_changed(self, app: Any, _value: Any = None) -> None:
        """The shop's total, its name (or the owner's choice) changed: its slide's words, and
        whether the loop shows it."""
        cents = int(app.shop_total_cents)
        if self._choice is not None:
            self._choice.shop_total = cents > 0
        view = shop_total_view(cents, app.lang, app.shop_name)
        self.shop_amount, self.shop_words = (view.amount, view.words) if view else ("", "")
        manager: ScreenManager = self.ids.slides
        if manager.has_screen(SHOP_SLIDE):
            slide = manager.get_screen(SHOP_SLIDE)
            slide.amount, slide.words = self.shop_amount, self.shop_words
            if view is None and manager.current == SHOP_SLIDE and self.projects:
                self._show(self.choice.index, animate=False)  # turned off while it showed

    def show_shop_total(self, animate: bool = True) -> None:
        """The shop-total slide, in the loop's place (the project's index is kept)."""
        if not self.shop_words:
            return
        manager: ScreenManager = self.ids.slides
        if not manager.has_screen(SHOP_SLIDE):
            manager.add_widget(ShopTotalSlide(name=SHOP_SLIDE))
        slide = manager.get_screen(SHOP_SLIDE)
        slide.amount, slide.words = self.shop_amount, self.shop_words
        manager.transition = (SlideTransition(direction="left", duration=0.6) if animate
                              else NoTransition())
        self.current_project_id = ""
        manager.current = SHOP_SLIDE

    def join(self) -> None:
        """« Je participe » / « Je m'engage »: the band's QR (the ask's sign-up page or the
        pledge's page) in the photo's place; the loop waits while the person scans it (it
        closes when the slide turns)."""
        slide = self.ids.slides.current_screen
        if slide is None or not slide.ask_url:
            return
        app = App.get_running_app()
        self.choice.touched(app.context.clock())
        if not slide.ask_open:
            app.count(Counter.PARTICIPATE_TAPPED, slide.project_id)
        slide.ask_open = True
        if slide.ask_qr is None:
            app.background(pictures.qr_pixels, slide.ask_url, ASK_QR_PX,
                           done=lambda px, s=slide, url=slide.ask_url: self._ask_qr_ready(
                               s, url, px))

    @mainthread
    def _ask_qr_ready(self, slide: ProjectSlide, url: str, pixels: Any) -> None:
        if slide.ask_url == url:
            slide.ask_qr = texture_from(pixels)

    def move(self, delta: int) -> None:
        """An arrow or a swipe: the donor moves through the projects; the loop waits."""
        if len(self.projects) < 2 or self.ids.slides.transition.is_active:
            return
        index = self.choice.move(delta, App.get_running_app().context.clock())
        self._show(index, animate=True, direction="left" if delta > 0 else "right")

    def on_touch_up(self, touch: MotionEvent) -> bool:
        slides = self.ids.slides
        if (slides.collide_point(*touch.opos) and "hidden_corner" not in touch.ud
                and (delta := _is_swipe(touch))):
            self.move(delta)
            return True
        return super().on_touch_up(touch)

    def start(self, size: tuple[int, int]) -> None:
        """Show the first slide laid out at ``size`` now, so its photo starts decoding while
        the first frame is being built instead of after it (start-up to the first photo).
        Kivy lays everything out again before drawing; a wrong guess only costs a decode."""
        self._show_first()
        self.size = size
        _layout_now(self)
        if self.projects:
            self._load_photo(self._slide(self.index), self.index, wait_s=FIRST_PHOTO_WAIT_S,
                             first=True)

    @property
    def waiting_for_photo(self) -> bool:
        """The shown slide's photo is still being decoded (the app's ``on_shown`` waits)."""
        slide = self.ids.slides.current_screen
        if slide is None or slide.photo is not None:
            return False
        return any(key[0] == slide.project_id for key in self._decoding)

    def _show_first(self) -> None:
        if not any(isinstance(s, ProjectSlide) for s in self.ids.slides.screens):
            self._show(0, animate=False)

    @property
    def projects(self) -> list[Project]:
        return App.get_running_app().projects

    def on_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        self._rotate_event = Clock.schedule_interval(self.next_slide,
                                                     app.context.slide_duration_s)

    def on_leave(self, *_args: Any) -> None:
        if self._rotate_event is not None:
            self._rotate_event.cancel()
            self._rotate_event = None

    def next_slide(self, *_args: Any) -> None:
        if not self.projects or self.ids.slides.transition.is_active:
            return
        from kiosk.screen.project_choice import SHOP_TOTAL

        index = self.choice.auto_next(App.get_running_app().context.clock())
        if index == SHOP_TOTAL:
            self.show_shop_total()
        elif index is not None:  # None: a donor is choosing
            self._show(index, animate=True)

    def select(self, project_id: str) -> None:
        """A project picked in the grid of all projects: shown here when the donor is back."""
        if self.choice.select(project_id, App.get_running_app().context.clock()):
            self._show(self.choice.index, animate=False)

    def give(self) -> None:
        if self.projects and self.current_project_id:
            App.get_running_app().give(self.current_project_id)
        elif self.projects:  # the shop's total is shown: the donor picks a project
            App.get_running_app().open_projects()

    def reload(self) -> None:
        """Start again after the app's projects changed (a new featured choice): every slide
        is rebuilt from the new list."""
        manager: ScreenManager = self.ids.slides
        manager.transition = NoTransition()
        for slide in sorted(manager.screens, key=lambda s: s is manager.current_screen):
            manager.remove_widget(slide)  # the shown one last, so nothing animates
        self._recent.clear()
        self._decoding.clear()
        self._textures = pictures.TextureCache(capacity=PHOTO_TEXTURES)
        self.current_project_id = ""
        self._show(min(self.index, max(0, len(self.projects) - 1)), animate=False)
        if self._choice is not None:
            self._choice.set_projects(self.projects, App.get_running_app().local_progress)
            self._choice.index = int(self.index)

    def _show(self, index: int, animate: bool, direction: str = "left") -> None:
        if not self.projects:
            return
        manager: ScreenManager = self.ids.slides
        before = manager.current  # read first: the first slide added becomes current itself
        slide = self._slide(index)
        self.index, self.current_project_id = index, slide.project_id
        self.several = len(self.projects) > 1
        self.dots = " ".join("●" if i == index else "○" for i in range(len(self.projects)))
        self._load_photo(slide, index)
        manager.transition = (SlideTransition(direction=direction, duration=0.6) if animate
                              else NoTransition())
        if before != slide.name:
            App.get_running_app().count(Counter.SLIDE_SHOWN, slide.project_id)
        manager.current = slide.name

    def _slide(self, index: int) -> ProjectSlide:
        manager: ScreenManager = self.ids.slides
        name = f"p{index}"
        if manager.has_screen(name):
            self._recent.remove(name)
            self._recent.append(name)
            return manager.get_screen(name)
        while len(self._recent) >= MAX_SLIDES:  # drop the least recently shown slide
            oldest = next(n for n in self._recent if n != manager.current)
            self._recent.remove(oldest)
            dropped = manager.get_screen(oldest)
            manager.remove_widget(dropped)
            dropped.photo = dropped.learn_more = dropped.ask_qr = None  # go now, not at GC
            self._collect()
        self._recent.append(name)
        p = self.projects[index]
        local = App.get_running_app().local_progress.get(p.id, (0, 0))[0]
        slide = ProjectSlide(name=name, project_id=p.id, association=p.association,
                             title=p.title, summary=p.summary, raised_cents=p.raised_cents + local,
                             goal_cents=p.goal_cents)
        _set_ask_words(slide, p, App.get_running_app().lang)
        _set_sponsor_line(slide, p, local, App.get_running_app().lang)
        manager.add_widget(slide)
        slide.ids.photo.bind(size=self._refill)
        if p.url:  # once the first screen is shown: behind the photos on the pictures thread
            app = App.get_running_app()
            app.after_shown(lambda url=p.url, s=slide: app.background(
                pictures.qr_pixels, url, QR_PX, done=lambda px: self._qr_ready(s, px)))
        return slide

    def _collect_dropped(self, _dt: float) -> None:
        gc.collect()
        pictures.return_free_memory()

    def _refill_current(self, _dt: float) -> None:
        """Once layout settles (or the window turns), reload the photo at its shown size."""
        if self.projects:
            self._load_photo(self._slide(self.index), self.index)

    def _load_photo(self, slide: ProjectSlide, index: int, wait_s: float = 0.0,
                    first: bool = False) -> None:
        width, height = (int(v) for v in slide.ids.photo.size)
        if (width, height) == (100, 100):
            return  # not laid out yet (Kivy's default size): the size binding calls us again
        key = (slide.project_id, width, height)
        cached = self._textures.get(key)
        if cached is not None:
            slide.photo = cached
            return
        if key in self._decoding:
            return
        self._decoding.add(key)
        app = App.get_running_app()
        cache_path = app.context.first_photo_cache
        if first and cache_path is not None:  # the start-up photo: kept across restarts
            future = app.submit_picture(pictures.load_first_photo,
                                        pictures.FirstPhotoCache(cache_path),
                                        self.projects[index].image_path, width, height)
        else:
            future = app.submit_picture(pictures.load_photo, self.projects[index].image_path,
                                        width, height)
        if wait_s > 0 and wait([future], timeout=wait_s).done:
            self._apply_photo(slide, key, future)
            return
        future.add_done_callback(lambda f, s=slide, k=key: self._photo_ready(s, k, f))

    @mainthread
    def _photo_ready(self, slide: ProjectSlide, key: PhotoKey,
                     future: Future[pictures.Pixels | None]) -> None:
        self._apply_photo(slide, key, future)

    def _apply_photo(self, slide: ProjectSlide, key: PhotoKey,
                     future: Future[pictures.Pixels | None]) -> None:
        self._decoding.discard(key)
        try:
            pixels = future.result()
        except Exception as e:  # noqa: BLE001 - a broken photo: the slide shows without it
            log.warning("cannot load the photo of %s: %s", slide.project_id, e)
            return
        if pixels is None or key[0] != slide.project_id:
            return
        self._textures.put(key, texture_from(pixels))
        slide.photo = self._textures.get(key)
        kept = set(self._textures.keys())
        for other in self.ids.slides.screens:  # let evicted textures go
            if other.photo is not None and other is not slide and not any(
                    k[0] == other.project_id for k in kept):
                other.photo = None

    @mainthread
    def _qr_ready(self, slide: ProjectSlide, pixels: pictures.Pixels) -> None:
        slide.learn_more = texture_from(pixels)
