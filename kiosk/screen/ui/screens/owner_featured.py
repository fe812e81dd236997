"""Restocking the featured projects (screen ``owner_featured``): the cached catalog with photo,
association, title, progress and dates; tap to choose or drop, arrows to reorder; expired or
inactive projects are marked and cannot be chosen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.core import catalog as catalogmod
from kiosk.owner import featured as featuredmod
from kiosk.owner.featured import FeaturedDraft, FeaturedRefused
from kiosk.owner.message import Message
from kiosk.screen.ui import pictures
from kiosk.screen.ui.owner_widgets import OwnerScreen
from kiosk.screen.ui.textures import texture_from

if TYPE_CHECKING:
    from kiosk.core.catalog import Project
    from kiosk.core.ledger import Ledger
    from kiosk.owner.featured import Entry
    from kiosk.screen.ui.screens.owner_preview import OwnerPreviewScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
THUMB_PX = 160


class FeaturedRow(ButtonBehavior, BoxLayout):
    project_id = StringProperty("")
    association = StringProperty("")
    title = StringProperty("")
    details = StringProperty("")
    status = StringProperty("")
    position = NumericProperty(0)  # 0: not chosen
    progress = NumericProperty(0)
    selectable = BooleanProperty(True)
    thumb = ObjectProperty(None, allownone=True)
    __events__ = ("on_move",)  # an arrow: -1 up, 1 down

    def on_move(self, step: int) -> None:
        pass


class OwnerFeaturedScreen(OwnerScreen):
    draft = ObjectProperty(None, allownone=True)  # FeaturedDraft: the owner's unsaved choice
    entries = ListProperty([])  # kiosk.owner.featured.Entry, catalog order
    chosen_count = NumericProperty(0)
    message = StringProperty("")  # the hint's slot: what was refused, or « saved »
    saved = BooleanProperty(False)  # the message is the « saved » confirmation
    dirty = BooleanProperty(False)  # the draft differs from what the kiosk shows

    def __init__(self, **kwargs: Any):
        self._saved_choice: list[str] = []
        super().__init__(**kwargs)
        self._thumbs: pictures.TextureCache[str] = pictures.TextureCache(capacity=40)
        self._render_trigger = Clock.create_trigger(self._render)
        App.get_running_app().bind(lang=self._render_trigger)  # the reasons, translated

    # -- the draft ------------------------------------------------------------------------

    def start(self) -> None:
        """From the settings' home: a new draft of the kiosk's current choice."""
        panel, opts = self.panel, self.panel.options

        def load(led: Ledger) -> FeaturedDraft:
            cat = catalogmod.load(led.db, opts.data_dir)
            return FeaturedDraft.start(led, cat, opts.max_featured, panel.now().date())
        self.message, self.saved = "", False
        panel.run(load, self._loaded)

    def _loaded(self, draft: FeaturedDraft) -> None:
        self.draft = draft
        self._saved_choice = list(draft.chosen)
        self._render()

    def _render(self, *_args: Any) -> None:
        draft = self.draft
        if draft is None:
            return
        self.entries = draft.entries()
        self.chosen_count = len(draft.chosen)
        self.dirty = draft.chosen != self._saved_choice

    def toggle(self, project_id: str) -> None:
        if self.draft is None:
            return
        self.saved = False
        try:
            self.draft.toggle(project_id)
            self.message = ""
        except FeaturedRefused as e:
            self.message = self.panel.words(e.message)
        self._render()

    def move(self, project_id: str, step: int) -> None:
        if self.draft is not None and project_id in self.draft.chosen:
            self.saved = False
            self.draft.move(project_id, step)
            self._render()

    def show_preview(self) -> None:
        if self.draft is None:
            return
        preview: OwnerPreviewScreen = self.panel.screen("owner_preview")
        preview.projects = self.draft.preview()
        self.panel.show("owner_preview")

    def save(self) -> None:
        draft = self.draft
        if draft is None:
            return
        chosen = list(draft.chosen)
        limit = self.panel.options.max_featured

        def save(led: Ledger) -> list[Project] | Message:
            try:
                featuredmod.save(led, draft.catalog, chosen, limit, draft.today)
            except FeaturedRefused as e:
                return e.message
            return catalogmod.featured(led.db, draft.catalog, limit, draft.today)
        self.panel.run(save, self._written)

    def _written(self, result: list[Project] | Message) -> None:
        if isinstance(result, Message):
            self.message = self.panel.words(result)
            return
        self._saved_choice = list(self.draft.chosen) if self.draft else []
        App.get_running_app().set_projects(result)  # the attract loop shows it at once
        self.message = self.panel.tr("Saved: the kiosk now shows these projects.")
        self.saved = True
        self._render()

    def failed(self, text: str) -> None:
        self.message = text

    def closed(self) -> None:
        self.draft = None

    # -- the rows -------------------------------------------------------------------------

    def on_entries(self, _screen: OwnerFeaturedScreen, entries: list[Entry]) -> None:
        """Update the rows in place when the same projects are listed (a tap, a move), so the
        list neither flickers nor loses its scroll position; rebuild them otherwise."""
        rows = self.ids.rows
        existing = list(reversed(rows.children))
        if [r.project_id for r in existing] != [e.project.id for e in entries]:
            rows.clear_widgets()
            existing = []
            for entry in entries:
                row = Factory.FeaturedRow(project_id=entry.project.id)
                row.bind(on_release=lambda r: self.toggle(r.project_id),
                         on_move=lambda r, step: self.move(r.project_id, step))
                rows.add_widget(row)
                existing.append(row)
        for row, entry in zip(existing, entries, strict=True):
            self._fill(row, entry)

    def row(self, project_id: str) -> FeaturedRow:
        return next(r for r in self.ids.rows.children if r.project_id == project_id)

    def _fill(self, row: FeaturedRow, entry: Entry) -> None:
        app = App.get_running_app()
        p = entry.project
        dates = " – ".join(d for d in (p.starts_on, p.ends_on) if d)
        details = app.raised_of_goal(p.raised_cents, p.goal_cents)
        row.association, row.title = p.association, p.title
        row.details = f"{details} · {dates}" if details and dates else details or dates
        row.status = self.panel.words(entry.unavailable) if entry.unavailable else ""
        row.position, row.progress = entry.position or 0, entry.progress
        row.selectable = entry.unavailable is None
        if row.thumb is None:
            row.thumb = self._thumbs.get(p.id)
        if row.thumb is None and p.image_path is not None:
            app.background(pictures.load_photo, p.image_path, THUMB_PX, THUMB_PX,
                           done=lambda px, pid=p.id: self._thumb_ready(pid, px))

    @mainthread
    def _thumb_ready(self, project_id: str, pixels: pictures.Pixels | None) -> None:
        if pixels is None:
            return
        texture = texture_from(pixels)
        self._thumbs.put(project_id, texture)
        for row in self.ids.rows.children:
            if row.project_id == project_id:
                row.thumb = texture
