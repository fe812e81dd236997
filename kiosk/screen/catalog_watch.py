"""Which featured projects the attract loop should show after a catalog re-read (no Kivy).

The screen re-reads the catalog at each health check, on its I/O thread (:meth:`read`); a new
catalog from kiosk-sync or a new featured choice restarts the loop, but only on the attract
loop, never under a donor's finger (:meth:`accept`); otherwise it is tried again at the next
check."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.core.catalog import Project

ProjectsSource = Callable[[], tuple[str, list["Project"]]]


class CatalogWatch:
    def __init__(self, source: ProjectsSource | None, version: str):
        self.source = source
        self.version = version

    @property
    def enabled(self) -> bool:
        return self.source is not None

    def read(self) -> tuple[str, list[Project]]:
        """(version key, featured projects); blocking: on the I/O thread only."""
        assert self.source is not None
        return self.source()

    def accept(self, version: str, projects: list[Project], shown: list[Project], *,
               attract_showing: bool) -> list[Project] | None:
        """The projects to put on the loop now, or None (unchanged, or not now)."""
        if version == self.version or not attract_showing:
            return None
        self.version = version
        # The owner's panel may have applied the same choice already.
        return list(projects) if list(projects) != shown else None
