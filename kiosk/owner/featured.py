"""Restocking the featured projects: the owner's ordered choice from the cached catalog.

:class:`FeaturedDraft` is what the screen edits (pick, drop, reorder, preview); :func:`save`
checks it again and writes it. The ``featured`` table, the ``featured_version`` bump that tells
kiosk-sync to ``PUT …/featured``, and the audit row commit in one ``BEGIN IMMEDIATE``
transaction: the kiosk never shows a choice the server will not hear about, nor the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.core.catalog import Catalog, Project
from kiosk.core.ledger import FEATURED_VERSION, Ledger
from kiosk.owner.message import Message, msg
from kiosk.owner.pin_lock import ACTOR

VERSION_SETTING = FEATURED_VERSION


class FeaturedRefused(ValueError):
    """A featured choice that cannot be saved; ``message`` is for the owner."""

    def __init__(self, msgid: str, **params: object):
        self.message = msg(msgid, **params)
        super().__init__(str(self.message))


def why_unavailable(project: Project, today: dt.date) -> Message | None:
    """Plain words for why ``project`` cannot be featured today, or None if it can."""
    if not project.active:
        return msg("no longer active")
    if project.starts_on and dt.date.fromisoformat(project.starts_on) > today:
        return msg("starts on {date}", date=project.starts_on)
    if project.ends_on and dt.date.fromisoformat(project.ends_on) < today:
        return msg("ended on {date}", date=project.ends_on)
    return None


def current_choice(ledger: Ledger) -> list[str]:
    """The saved featured project ids, in the owner's order."""
    return ledger.featured_ids()


def validate(catalog: Catalog, project_ids: list[str], limit: int, today: dt.date) -> None:
    """Raise :class:`FeaturedRefused` naming the first problem with ``project_ids``."""
    if not project_ids:
        raise FeaturedRefused("Choose at least one project.")
    if len(project_ids) > limit:
        raise FeaturedRefused("At most {limit} projects can be featured on this kiosk.",
                              limit=limit)
    if len(set(project_ids)) != len(project_ids):
        raise FeaturedRefused("A project is chosen twice.")
    by_id = catalog.by_id()
    for pid in project_ids:
        if pid not in by_id:
            raise FeaturedRefused("Project {id} is not in the catalog any more.", id=pid)
        reason = why_unavailable(by_id[pid], today)
        if reason:
            raise FeaturedRefused("« {title} » cannot be featured: {reason}.",
                                  title=by_id[pid].title, reason=reason)


def save(ledger: Ledger, catalog: Catalog, project_ids: list[str], limit: int,
         today: dt.date | None = None) -> int:
    """Check and save the ordered choice; returns the new ``featured_version``."""
    today = today or dt.date.today()
    validate(catalog, project_ids, limit, today)
    return ledger.save_featured(project_ids, ACTOR)


@dataclass(frozen=True)
class Entry:
    """One catalog project as the restocking list shows it."""

    project: Project
    position: int | None  # 1-based place in the draft, None when not chosen
    unavailable: Message | None  # why it cannot be chosen, None when it can

    @property
    def progress(self) -> float:
        goal = self.project.goal_cents
        return min(1.0, self.project.raised_cents / goal) if goal else 0.0


@dataclass
class FeaturedDraft:
    """The owner's unsaved choice: an ordered list of project ids within ``limit``."""

    catalog: Catalog
    limit: int
    today: dt.date
    chosen: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, ledger: Ledger, catalog: Catalog, limit: int,
              today: dt.date | None = None) -> FeaturedDraft:
        """A draft starting from what the attract loop shows now (dropping what expired)."""
        today = today or dt.date.today()
        by_id = catalog.by_id()
        saved = current_choice(ledger)
        if not saved:  # never chosen: the loop shows the first available projects
            saved = [p.id for p in catalog.projects]
        usable = [i for i in saved if i in by_id and why_unavailable(by_id[i], today) is None]
        return cls(catalog, limit, today, usable[:limit])

    def entries(self) -> list[Entry]:
        return [Entry(p, self.chosen.index(p.id) + 1 if p.id in self.chosen else None,
                      why_unavailable(p, self.today))
                for p in self.catalog.projects]

    @property
    def full(self) -> bool:
        return len(self.chosen) >= self.limit

    def toggle(self, project_id: str) -> None:
        """Choose a project (at the end) or drop it; refuses what cannot be featured."""
        if project_id in self.chosen:
            self.chosen.remove(project_id)
            return
        project = self.catalog.by_id().get(project_id)
        if project is None:
            raise FeaturedRefused("Project {id} is not in the catalog any more.", id=project_id)
        reason = why_unavailable(project, self.today)
        if reason:
            raise FeaturedRefused("« {title} » cannot be featured: {reason}.",
                                  title=project.title, reason=reason)
        if self.full:
            raise FeaturedRefused("At most {limit} projects can be featured: remove one first.",
                                  limit=self.limit)
        self.chosen.append(project_id)

    def move(self, project_id: str, step: int) -> None:
        """Move a chosen project ``step`` places (negative: earlier in the loop)."""
        i = self.chosen.index(project_id)
        j = max(0, min(len(self.chosen) - 1, i + step))
        self.chosen.insert(j, self.chosen.pop(i))

    def preview(self) -> list[Project]:
        """The attract loop as it will run once saved, in order."""
        by_id = self.catalog.by_id()
        return [by_id[i] for i in self.chosen]

    def changed_from(self, ledger: Ledger) -> bool:
        return self.chosen != current_choice(ledger)

    def save(self, ledger: Ledger) -> int:
        return save(ledger, self.catalog, list(self.chosen), self.limit, self.today)
