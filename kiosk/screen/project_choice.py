"""Which project the attract loop shows, and how far along each one is (no Kivy).

The loop turns by itself until a donor moves through the projects (swipe, arrows, the grid of
all projects); it then waits for them and resumes once nobody has touched the screen for
``resume_after_s``. When it turns by itself it skips projects that have reached their goal
while any is still open: the goal-reached ones stay reachable by hand.

When the shop's own total is to be shown (above zero, and the owner has not turned it off),
the loop shows it once per round, between its last project and its first again; a donor
moving by hand only meets projects.

Progress is the catalog's central total plus this kiosk's approved gifts the central service
has not confirmed yet (:meth:`kiosk.core.ledger.Ledger.local_progress`), so the bar moves the
moment a gift is approved, offline too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from kiosk.core.catalog import Project

LocalProgress = dict[str, tuple[int, int]]  # project id -> (cents, gifts) not synced yet
SHOP_TOTAL = -1  # auto_next's answer for the shop's total slide


@dataclass(frozen=True)
class Progress:
    raised_cents: int
    goal_cents: int
    supporters: int | None  # None: the catalog does not say how many donors there are

    @property
    def fraction(self) -> float:
        return min(1.0, self.raised_cents / self.goal_cents) if self.goal_cents else 0.0

    @property
    def reached(self) -> bool:
        return bool(self.goal_cents) and self.raised_cents >= self.goal_cents


def progress(project: Project, local: Mapping[str, tuple[int, int]]) -> Progress:
    cents, gifts = local.get(project.id, (0, 0))
    supporters = None if project.supporters is None else project.supporters + gifts
    return Progress(project.raised_cents + cents, project.goal_cents, supporters)


@dataclass
class ProjectChoice:
    resume_after_s: float
    ids: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)
    index: int = 0
    paused_until: float = 0.0
    shop_total: bool = False  # the shop's total slide is in the loop
    on_shop_total: bool = False  # it is the slide shown now

    def set_projects(self, projects: Sequence[Project], local: Mapping[str, tuple[int, int]],
                     keep: str | None = None) -> None:
        """A new list (or new progress): stay on ``keep`` if it is still there."""
        self.ids = [p.id for p in projects]
        self.reached = {p.id for p in projects if progress(p, local).reached}
        self.index = self.ids.index(keep) if keep in self.ids else 0

    @property
    def current(self) -> str | None:
        return self.ids[self.index] if self.ids else None

    def paused(self, now: float) -> bool:
        return now < self.paused_until

    def touched(self, now: float) -> None:
        """Someone is choosing: the loop waits for them."""
        self.paused_until = now + self.resume_after_s

    def move(self, delta: int, now: float) -> int:
        """An arrow or a swipe: the previous (-1) or next (+1) project, wrapping round."""
        self.touched(now)
        if self.on_shop_total:  # back to the project it came after, or on to the next
            self.on_shop_total = False
            if delta < 0:
                return self.index
        if self.ids:
            self.index = (self.index + delta) % len(self.ids)
        return self.index

    def select(self, project_id: str, now: float) -> bool:
        """A project picked in the grid of all projects."""
        if project_id not in self.ids:
            return False
        self.touched(now)
        self.on_shop_total = False
        self.index = self.ids.index(project_id)
        return True

    def auto_next(self, now: float) -> int | None:
        """The loop's next slide (a project's index, or SHOP_TOTAL), or None while a donor is
        choosing (or nothing to turn to)."""
        if self.paused(now) or not self.ids:
            return None
        if self.on_shop_total:
            self.on_shop_total = False
            if len(self.ids) == 1:
                return self.index
        elif self.shop_total and self._wraps():
            self.on_shop_total = True
            return SHOP_TOTAL
        if len(self.ids) < 2:
            return None
        n = len(self.ids)
        following = [(self.index + k) % n for k in range(1, n + 1)]
        open_ones = [i for i in following if self.ids[i] not in self.reached]
        if open_ones:
            nxt = open_ones[0]
        else:  # every project reached its goal: show them all in turn
            nxt = following[0]
        if nxt == self.index:
            return None
        self.index = nxt
        return nxt

    def _wraps(self) -> bool:
        """The loop's next project starts a new round (the shop's total goes between)."""
        n = len(self.ids)
        following = [(self.index + k) % n for k in range(1, n + 1)]
        open_ones = [i for i in following if self.ids[i] not in self.reached] or following
        return open_ones[0] <= self.index
