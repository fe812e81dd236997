"""What the attract loop shows of a project's volunteer asks and pledge (no Kivy).

A slide has one engagement band. A project shows its soonest open ask, if it has one: what,
when, where, how long, and how many people signed up of how many needed (« 2 / 3
bénévoles »). A full ask is not shown (the central service stops sending it; a kiosk that
has not synced yet hides it too). Otherwise it shows its pledge, if it has one: the
commitment, until when, and how many people pledged of how many it takes (« 312 / 500
voisins »), or « Objectif atteint ! » once reached; a pledge past its deadline is not shown.
An ask comes first because it needs people on a given day. The person signs up or pledges
on their own phone through the band's QR code: nothing is typed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.core import i18n

if TYPE_CHECKING:
    from kiosk.core.catalog import Ask, Pledge, Project

DAYS = {"fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
        "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
MONTHS = {"fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                 "oct.", "nov.", "déc."),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec")}


def shown_ask(project: Project) -> Ask | None:
    """The ask the project's slide shows: its soonest one with places left."""
    return next((a for a in project.asks if a.is_open), None)


def when(ask: Ask, language: str, weekday: bool = True) -> str:
    """« sam. 15 mars, 10:00 », "Sat 15 Mar, 10:00": the hour as the association set it."""
    at = dt.datetime.fromisoformat(ask.starts_at)
    day = f"{DAYS[language][at.weekday()]} " if weekday else ""
    return f"{day}{at.day} {MONTHS[language][at.month - 1]}, {at:%H:%M}"


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


@dataclass(frozen=True)
class AskView:
    """The words of an ask's band on a slide, in one language."""

    what: str
    when: str
    details: str  # when · how long · where
    count: str  # « 2 / 3 bénévoles »
    url: str


def ask_view(project: Project, language: str) -> AskView | None:
    ask = shown_ask(project)
    if ask is None:
        return None
    count = i18n.tr("{signed_up} / {needed} volunteers", language).format(
        signed_up=ask.signed_up, needed=ask.needed)
    # The band is narrow (a 7" panel): the weekday, how long and where are beside the QR.
    details = f"{when(ask, language)} · {duration(ask.duration_minutes)} · {ask.place}"
    return AskView(ask.what, when(ask, language, weekday=False), details, count, ask.url)


@dataclass(frozen=True)
class PledgeView:
    """The words of a pledge's band on a slide, in one language."""

    what: str  # the commitment
    when: str  # « jusqu'au 30 juin »
    details: str  # beside its QR: how many of how many · until when
    count: str  # « 312 / 500 voisins », or « Objectif atteint ! »
    url: str


def shown_pledge(project: Project, today: dt.date) -> Pledge | None:
    pledge = project.pledge
    if pledge is None or dt.date.fromisoformat(pledge.deadline) < today:
        return None
    return pledge


def pledge_view(project: Project, language: str, today: dt.date) -> PledgeView | None:
    pledge = shown_pledge(project, today)
    if pledge is None:
        return None
    deadline = dt.date.fromisoformat(pledge.deadline)
    until = i18n.tr("until {day}", language).format(
        day=f"{deadline.day} {MONTHS[language][deadline.month - 1]}")
    tally = i18n.tr("{count} / {threshold} neighbours", language).format(
        count=pledge.count, threshold=pledge.threshold)
    count = i18n.tr("Goal reached!", language) if pledge.reached else tally
    return PledgeView(pledge.commitment, until, f"{tally} · {until}", count, pledge.url)


def band_view(project: Project, language: str,
              today: dt.date | None = None) -> AskView | PledgeView | None:
    """The slide's engagement band: the project's open ask, else its pledge, else none."""
    return ask_view(project, language) or pledge_view(project, language,
                                                      today or dt.date.today())
