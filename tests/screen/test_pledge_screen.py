"""A pledge on the attract loop, in the real app (offscreen window, real touches, the real
bridge and terminal simulator), in French and English at the three display sizes: the slide
shows the pledge with its count (« 312 / 500 voisins »), « Je m'engage » shows the pledge
page's QR in the photo's place without starting a gift, a reached pledge reads « Objectif
atteint ! », one past its deadline is not shown, and giving is still two taps away.
Screenshots are kept as tests/helpers/screenshots.py says.

    python -m tests.screen.test_pledge_screen --size 800x480 --workdir DIR [--lang en]
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.catalog import Pledge, Project
from tests.helpers.screen_child import run_screen_child, screen_child_report
from tests.screen.test_engagement_screen import band_and_join
from tests.screen.test_screen_ui import SIZES, decode_qr

PLEDGE_URL = "https://dons.example.org/e/Qm7wT2xK9pLa"
OPEN_PLEDGE = Pledge(id="Qm7wT2xK9pLa", commitment="Je trie mes biodéchets",
                     threshold=500, count=312, deadline="2031-06-30", reached=False,
                     url=PLEDGE_URL)
REACHED = dataclasses.replace(OPEN_PLEDGE, id="reached", count=503, reached=True,
                              url=PLEDGE_URL + "-reached")
PAST = dataclasses.replace(OPEN_PLEDGE, id="past", deadline="2020-01-31",
                           url=PLEDGE_URL + "-past")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_a_pledge_on_the_loop_and_its_qr(tmp_path: Path, size: str, lang: str) -> None:
    report = screen_child_report("tests.screen.test_pledge_screen",
                                 tmp_path / f"pledge-{size}-{lang}", size, lang)

    words = {"fr": ("312 / 500 voisins", "Je m’engage", "jusqu’au 30 juin",
                    "Objectif atteint !", "Scannez pour vous engager sur votre téléphone"),
             "en": ("312 / 500 neighbours", "I pledge", "until 30 Jun", "Goal reached!",
                    "Scan to pledge on your phone")}[lang]
    assert report["band"] == {"count": words[0], "join": words[1],
                              "what": "Je trie mes biodéchets",
                              "when": words[2], "details": f"{words[0]} · {words[2]}"}
    assert report["band_fits"], "the pledge's words are cut or overlap the button"
    assert not report["band_shortened"], "the pledge's words are shortened with « … »"
    # « Je m'engage »: the QR of the pledge page, and no gift started.
    assert report["after_join"] == {"screen": "attract", "open": True, "paused": True}
    assert report["join_caption"] == words[4]
    assert decode_qr(report["shots"]["attract-pledge-qr"]) == [PLEDGE_URL]
    assert report["donations_after_join"] == 0
    assert report["panel_fits"], "the pledge's details beside its QR are cut or overlap it"
    # The next project's pledge is reached; the one after it ended.
    assert report["reached_band"] == {"count": words[3], "join": words[1]}
    assert report["past_band"] == ""
    # Giving is still two taps: « Je donne », then an amount, and the payment starts.
    assert report["give_screens"] == ["amount", "payment"]


# -- the driver (run in its own process: Kivy has one Window per process) --------------------


def next_slide(attract: Any) -> Iterator[Any]:
    from tests.screen.ui_driver import tap

    tap(attract.ids.next)
    yield 0.05
    yield lambda: not attract.ids.slides.transition.is_active


def steps(d: Any) -> Iterator[Any]:
    from tests.screen.ui_driver import tap

    app = d.app
    attract = app.screen("attract")
    slides = attract.ids.slides
    yield from band_and_join(d, "attract-pledge")
    d.shot("attract-pledge-qr")
    yield from next_slide(attract)
    reached = slides.current_screen
    yield 0.3
    d.report["reached_band"] = {"count": reached.ids.ask_count.text,
                                "join": reached.ids.join.text}
    d.shot("attract-pledge-reached")
    yield from next_slide(attract)
    d.report["past_band"] = slides.current_screen.ask_url
    tap(attract.ids.give)
    yield d.at("amount")
    screens = [app.manager.current]
    tap(list(reversed(d.widget("amount", "presets").children))[1])
    yield lambda: app.manager.current == "payment"
    screens.append(app.manager.current)
    d.report["give_screens"] = screens
    yield d.at("thanks")


def main(argv: list[str] | None = None) -> int:
    def with_pledges(projects: list[Project]) -> list[Project]:
        projects[0] = dataclasses.replace(projects[0], pledge=OPEN_PLEDGE)
        projects[1] = dataclasses.replace(projects[1], pledge=REACHED)
        projects[2] = dataclasses.replace(projects[2], pledge=PAST)
        return projects

    return run_screen_child(argv, steps, projects=with_pledges)


if __name__ == "__main__":
    sys.exit(main())
