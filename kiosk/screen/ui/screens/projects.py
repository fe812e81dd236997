"""« All projects »: every featured project in a grid, one tap from the attract loop; a tap on
one goes to its amounts (two taps from the loop). Layout in projects.kv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.screen.ui.widgets import KioskButton, KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ProjectTile(KioskButton):
    project_id = StringProperty("")


class ProjectsScreen(KioskScreen):
    def on_pre_enter(self, *_args: Any) -> None:
        # Built each time: the featured choice may have changed since.
        grid = self.ids.grid
        grid.clear_widgets()
        for project in App.get_running_app().projects:
            grid.add_widget(ProjectTile(project_id=project.id,
                                        text=f"{project.title}\n{project.association}"))

    def choose(self, project_id: str) -> None:
        app = App.get_running_app()
        app.screen("attract").select(project_id)  # the loop shows it when the donor is back
        app.give(project_id)
