"""« All projects »: every featured project in a grid, one tap from the attract loop; a tap on
one goes to its amounts (two taps from the loop). Layout in projects.kv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.utils import escape_markup

from kiosk.screen.ui import theme
from kiosk.screen.ui.widgets import KioskButton, KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ProjectTile(KioskButton):
    """The project's title in bold, its association below it smaller and quieter, so the two
    read as a name and who carries it rather than four lines of the same weight."""

    project_id = StringProperty("")
    title = StringProperty("")
    association = StringProperty("")

    @staticmethod
    def label_markup(title: str, association: str, scale: float) -> str:
        return (f"[b]{escape_markup(title)}[/b]\n"
                f"[size={round(16 * scale)}][color={theme.BUTTON_TEXT_MUTED}]"
                f"{escape_markup(association)}[/color][/size]")


class ProjectsScreen(KioskScreen):
    def on_pre_enter(self, *_args: Any) -> None:
        # Built each time: the featured choice may have changed since.
        grid = self.ids.grid
        grid.clear_widgets()
        for project in App.get_running_app().projects:
            grid.add_widget(ProjectTile(project_id=project.id, title=project.title,
                                        association=project.association))

    def choose(self, project_id: str) -> None:
        app = App.get_running_app()
        app.screen("attract").select(project_id)  # the loop shows it when the donor is back
        app.give(project_id)
