"""A volunteer ask on the attract loop, in the real app (offscreen window, real touches, the
real bridge and terminal simulator), in French and English at the three display sizes: the
slide shows the open ask with its count, « Je participe » shows the sign-up QR in the photo's
place without starting a gift, a full ask is not shown, and giving is still two taps away.
Screenshots are kept as tests/helpers/screenshots.py says.

    python -m tests.screen.test_engagement_screen --size 800x480 --workdir DIR [--lang en]
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.catalog import Ask, Project
from tests.helpers.screen_child import run_screen_child, screen_child_report
from tests.screen.test_screen_ui import SIZES, decode_qr

ASK_URL = "https://dons.example.org/v/Zq3xY8pL2mNa"
OPEN_ASK = Ask(id="Zq3xY8pL2mNa", what="Planter les bulbes du square",
               starts_at="2031-03-15T10:00:00+01:00", place="Square des Capucins",
               duration_minutes=90, needed=3, signed_up=2, url=ASK_URL)
FULL_ASK = dataclasses.replace(OPEN_ASK, id="full", signed_up=3, url=ASK_URL + "-full")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_an_open_ask_on_the_loop_and_its_sign_up_qr(tmp_path: Path, size: str,
                                                    lang: str) -> None:
    report = screen_child_report("tests.screen.test_engagement_screen",
                                 tmp_path / f"ask-{size}-{lang}", size, lang)

    words = {"fr": ("2 / 3 bénévoles", "Je participe", "sam. 15 mars, 10:00"),
             "en": ("2 / 3 volunteers", "I volunteer", "Sat 15 Mar, 10:00")}[lang]
    assert report["band"] == {"count": words[0], "join": words[1],
                              "what": "Planter les bulbes du square",
                              "when": words[2].split(" ", 1)[1],
                              "details": f"{words[2]} · 1 h 30 · Square des Capucins"}
    assert report["band_fits"], "the ask's words are cut or overlap the button"
    # « Je participe »: the QR of the sign-up page, and no gift started.
    assert report["after_join"] == {"screen": "attract", "open": True, "paused": True}
    assert decode_qr(report["shots"]["attract-ask-qr"]) == [ASK_URL]
    assert report["donations_after_join"] == 0
    assert report["panel_fits"], "the ask's details beside its QR are cut or overlap it"
    # The next project's ask is full: no band, the learn-more QR as before.
    assert report["full_ask_band"] == ""
    # Giving is still two taps: « Je donne », then an amount, and the payment starts.
    assert report["give_screens"] == ["amount", "payment"]
    assert report["written_on_the_loop"] == {"proj-1 slide_shown": 1}
    # The anonymous counts of all this (the gift's written at the app's stop: a clean stop
    # loses none): the first slide shown twice (back to it with the
    # arrow), the second once, « Je participe » once; then one gift.
    assert report["engagement"] == {
        "proj-1 slide_shown": 2, "proj-2 slide_shown": 1, "proj-1 participate_tapped": 1,
        "proj-1 give_tapped": 1, "proj-1 amount_preset": 1, "proj-1 payment_started": 1,
        "proj-1 payment_approved": 1}


# -- the driver (run in its own process: Kivy has one Window per process) --------------------


def whole_width(label: Any) -> float:
    """The width ``label``'s text takes on one line, unshortened."""
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=label.text, font_size=label.font_size, bold=label.bold,
                     font_name=label.font_name)
    core.refresh()
    return core.content_width


def band_and_join(d: Any, shot: str, read_counts: bool = False) -> Iterator[Any]:
    """Once the loop shows its first photo: that slide's band (an ask's or a pledge's) in the
    report, as ``band``, whether its words fit beside the button (``band_fits``) and whether
    any had to be shortened (``band_shortened``); screenshot ``shot``; then its join button
    tapped: whether the details fit beside the QR (``panel_fits``), where the screen stands
    (``after_join``, ``join_caption``) and how many donations there are
    (``donations_after_join``). ``read_counts``: before the tap, the engagement counts the
    loop has written so far (``written_on_the_loop``)."""
    from tests.screen.ui_driver import engagement_by_project, tap

    app = d.app
    attract = app.screen("attract")
    slides = attract.ids.slides
    yield lambda: app.health is not None and app.available
    yield lambda: getattr(slides.current_screen, "photo", None)
    yield 0.3
    slide = slides.current_screen
    ids = slide.ids
    words = (ids.ask_what, ids.ask_when, ids.ask_count)
    d.report["band"] = {"count": ids.ask_count.text, "join": ids.join.text,
                        "what": ids.ask_what.text, "when": ids.ask_when.text,
                        "details": slide.ask_details}
    d.report["band_fits"] = all(
        whole_width(w) <= w.width + 1 and w.texture_size[1] <= w.height + 1
        for w in words) and all(w.right <= ids.join.x + 1 for w in words[1:])
    d.report["band_shortened"] = any(w._label.is_shortened for w in words)
    d.shot(shot)
    if read_counts:  # the loop writes its counts while it runs (every count_flush_s)
        yield 0.8
        written = app._io.submit(engagement_by_project, app.context.ledger)
        yield written.done
        d.report["written_on_the_loop"] = written.result()
    tap(ids.join)
    yield lambda: slide.ask_qr is not None
    yield 0.3
    panel = ids.ask_details
    d.report["panel_fits"] = panel.texture_size[0] <= panel.width + 1 and \
        ids.ask_panel.y <= panel.y and panel.top <= ids.ask_qr.y + 1
    d.report["after_join"] = {"screen": app.manager.current, "open": slide.ask_open,
                              "paused": attract.choice.paused(app.context.clock())}
    d.report["join_caption"] = ids.ask_caption.text
    d.report["donations_after_join"] = app.context.ledger.db.conn.execute(
        "SELECT count(*) FROM donations").fetchone()[0]


def steps(d: Any) -> Iterator[Any]:
    from tests.screen.ui_driver import tap

    app = d.app
    attract = app.screen("attract")
    slides = attract.ids.slides
    yield from band_and_join(d, "attract-ask", read_counts=True)
    d.shot("attract-ask-qr")
    tap(attract.ids.next)
    yield 0.05
    yield lambda: not slides.transition.is_active
    d.report["full_ask_band"] = slides.current_screen.ask_url
    tap(attract.ids.previous)
    yield 0.05
    yield lambda: not slides.transition.is_active
    screens = []
    tap(attract.ids.give)
    yield d.at("amount")
    screens.append(app.manager.current)
    tap(list(reversed(d.widget("amount", "presets").children))[1])
    yield lambda: app.manager.current == "payment"
    screens.append(app.manager.current)
    d.report["give_screens"] = screens
    yield d.at("thanks")


def main(argv: list[str] | None = None) -> int:
    from tests.screen.ui_driver import engagement_by_project

    def with_asks(projects: list[Project]) -> list[Project]:
        projects[0] = dataclasses.replace(projects[0], asks=(OPEN_ASK,))
        projects[1] = dataclasses.replace(projects[1], asks=(FULL_ASK,))
        return projects

    return run_screen_child(argv, steps, projects=with_asks,
                            more_report=lambda ledger: {
                                "engagement": engagement_by_project(ledger)})


if __name__ == "__main__":
    sys.exit(main())
