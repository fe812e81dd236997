"""The settings' first page (screen ``owner_home``): today at a glance, terminal and sync, and
the way to the other settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.owner import sync_request
from kiosk.owner.today import glance
from kiosk.screen.ui.owner_widgets import OwnerScreen

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger
    from kiosk.owner.message import Message
    from kiosk.owner.terminal_words import TerminalHealth
    from kiosk.owner.today import Glance

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
SYNC_POLL_S = 1.0


class OwnerHomeScreen(OwnerScreen):
    today_text = StringProperty("")
    backlog_text = StringProperty("")
    last_sync_text = StringProperty("")
    attention = ListProperty([])  # sentences for the operator's attention
    terminal_text = StringProperty("")
    terminal_ok = BooleanProperty(True)
    terminal_testing = BooleanProperty(False)
    sync_waiting = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        self._glance: Glance | None = None
        self._terminal: Message | None = None
        super().__init__(**kwargs)
        self._render_trigger = Clock.create_trigger(self._render)
        App.get_running_app().bind(lang=self._render_trigger)  # the words, in the new language

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def on_attention(self, _screen: OwnerHomeScreen, sentences: list[str]) -> None:
        box = self.ids.attention
        box.clear_widgets()
        for sentence in sentences:
            box.add_widget(Factory.OwnerAlert(text=sentence))

    def refresh(self) -> None:
        self.panel.run(_read_home, self._loaded)

    def _loaded(self, result: tuple[Glance, bool]) -> None:
        self._glance, self.sync_waiting = result
        self._render()

    def _render(self, *_args: Any) -> None:
        g, panel = self._glance, self.panel
        if g is None:
            return
        money = App.get_running_app().money
        self.today_text = panel.tr("Donations today: {count} ({total})", count=g.today_count,
                                   total=money(g.today_cents))
        self.backlog_text = (panel.tr("Waiting to be sent: {count} ({total})",
                                      count=g.backlog_count, total=money(g.backlog_cents))
                             if g.backlog_count else panel.tr("Everything has been sent."))
        if g.last_sync_at is None:
            self.last_sync_text = panel.tr("Never synchronised yet.")
        else:
            self.last_sync_text = panel.tr("Last synchronised: {when}",
                                           when=g.last_sync_at.strftime("%d/%m %H:%M"))
        if self.sync_waiting:
            self.last_sync_text += " " + panel.tr("(synchronising…)")
        self.attention = [panel.words(m) for m in g.attention]
        self.terminal_text = panel.words(self._terminal) if self._terminal else ""

    def test_terminal(self) -> None:
        if self.terminal_testing:
            return
        self.terminal_testing = True
        self.terminal_text = self.panel.tr("Testing the terminal…")
        self.panel.test_terminal(self._terminal_tested)

    def _terminal_tested(self, health: TerminalHealth) -> None:
        self.terminal_testing = False
        self.terminal_ok = health.ok
        self._terminal = health.message
        self.terminal_text = self.panel.words(health.message)

    def sync_now(self) -> None:
        self.sync_waiting = True
        self.panel.run(sync_request.request, lambda _n: self._render())
        Clock.schedule_once(lambda _dt: self._poll_sync(), SYNC_POLL_S)

    def _poll_sync(self) -> None:
        if not self.panel.is_open:
            return

        def still_waiting(waiting: bool) -> None:
            if waiting:
                Clock.schedule_once(lambda _dt: self._poll_sync(), SYNC_POLL_S)
            else:
                self.refresh()
        self.panel.run(sync_request.waiting, still_waiting)


def _read_home(led: Ledger) -> tuple[Glance, bool]:
    """On the worker thread: today's figures, and whether kiosk-sync has a round to do."""
    return glance(led), sync_request.waiting(led)
