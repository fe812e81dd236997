"""The words of a slide's engagement band, without a screen: a project's open ask comes
first, else its pledge (« 312 / 500 voisins », « Objectif atteint ! » once reached) until its
deadline, in French and English."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from kiosk.core.catalog import Ask, Pledge, Project
from kiosk.screen.engagement import AskView, PledgeView, band_view

PLEDGE = Pledge(id="Qm7wT2xK9pLa", commitment="Je trie mes biodéchets", threshold=500,
                count=312, deadline="2031-06-30", reached=False,
                url="https://dons.example.org/e/Qm7wT2xK9pLa")
ASK = Ask(id="a1", what="Planter les bulbes", starts_at="2031-03-15T10:00:00+01:00",
          place="Square", duration_minutes=90, needed=3, signed_up=2,
          url="https://dons.example.org/v/a1")
PROJECT = Project(id="p1", association="Assoc", title="Projet", summary="s",
                  image_path=Path("/nonexistent"), goal_cents=100, raised_cents=0,
                  currency="EUR", url=None, starts_on=None, ends_on=None, active=True)
TODAY = dt.date(2031, 6, 1)


def test_a_pledge_in_french_and_english() -> None:
    project = dataclasses.replace(PROJECT, pledge=PLEDGE)
    assert band_view(project, "fr", TODAY) == PledgeView(
        "Je trie mes biodéchets", "jusqu’au 30 juin", "312 / 500 voisins · jusqu’au 30 juin",
        "312 / 500 voisins", PLEDGE.url)
    english = band_view(project, "en", TODAY)
    assert (english.when, english.count) == ("until 30 Jun", "312 / 500 neighbours")


def test_a_reached_pledge_says_so_and_keeps_its_tally_beside_the_qr() -> None:
    reached = dataclasses.replace(PLEDGE, count=503, reached=True)
    view = band_view(dataclasses.replace(PROJECT, pledge=reached), "fr", TODAY)
    assert view.count == "Objectif atteint !"
    assert view.details == "503 / 500 voisins · jusqu’au 30 juin"


def test_a_pledge_shows_until_its_last_day_only() -> None:
    project = dataclasses.replace(PROJECT, pledge=PLEDGE)
    assert band_view(project, "fr", dt.date(2031, 6, 30)) is not None
    assert band_view(project, "fr", dt.date(2031, 7, 1)) is None


def test_an_open_ask_comes_before_the_pledge() -> None:
    both = dataclasses.replace(PROJECT, asks=(ASK,), pledge=PLEDGE)
    assert isinstance(band_view(both, "fr", TODAY), AskView)
    full = dataclasses.replace(both, asks=(dataclasses.replace(ASK, signed_up=3),))
    assert isinstance(band_view(full, "fr", TODAY), PledgeView)
    assert band_view(PROJECT, "fr", TODAY) is None
