"""A matching sponsor, the doubled thank-you, the shop's month total in the loop and the
owner's switch for it, in the real app (offscreen window, real touches, the real bridge and
terminal simulator, a real ledger file), in French and English at the three display sizes.
Screenshots are kept as tests/helpers/screenshots.py says.

    python -m tests.screen.test_matching_screen --size 800x480 --workdir DIR [--lang en]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kiosk.core.catalog import Project, Sponsor
from tests.helpers.screen_child import run_screen_child, screen_child_report
from tests.screen.test_screen_ui import SIZES

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger

SPONSOR = Sponsor("la boulangerie Martin", "Chaque don doublé, jusqu'à 500 €", 50_000, 3000,
                  "2099-12-31")


# A long name, as a shop's can be: the slide's words must still fit.
SHOP_NAME = "Boulangerie-pâtisserie artisanale des Capucins et fils"


def _euros(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_sponsor_doubled_thanks_shop_total_and_owner_switch(tmp_path: Path, size: str,
                                                             lang: str) -> None:
    report = screen_child_report("tests.screen.test_matching_screen",
                                 tmp_path / f"match-{size}-{lang}", size, lang, timeout_s=180)

    assert report["sponsor_line"] == "Chaque don doublé, jusqu'à 500 € — la boulangerie Martin"
    assert report["sponsor_fits"], "the sponsor's line is cut"
    assert report["unsponsored_line"] == "", "a project without a sponsor says nothing"
    # The catalog named the shop, with a long name: said in full, and it fits.
    words = {"fr": f"{SHOP_NAME} a collecté 1 240 € pour le quartier ce mois-ci",
             "en": f"{SHOP_NAME} has raised €1,240 for the neighbourhood this month"}[lang]
    assert _euros(report["shop_words"]) == words
    assert report["shop_fits"], "the shop total's words do not fit"
    assert report["after_shop_slide"] == 0, "the loop goes on with its first project"
    # Giving is still two taps: « Je donne », an amount; the gift is doubled.
    assert report["give_screens"] == ["amount", "payment"]
    doubled = {"fr": "Votre don est doublé par la boulangerie Martin",
               "en": "Your gift is doubled by la boulangerie Martin"}[lang]
    assert report["doubled"] == doubled
    assert report["doubled_fits"]
    assert report["shop_total_after_gift"] == 124_500
    # The owner turns the slide off: stored, audited, and the loop leaves it out.
    assert report["setting_after_off"] is False
    assert report["audit"][-1] == ["shop_total_shown_changed", {"shown": False}]
    assert report["shop_total_after_off"] == 0
    assert report["loop_after_off"] != "shop_total"


# -- the driver (run in its own process: Kivy has one Window per process) --------------------


def fits(label: Any) -> bool:
    return label.texture_size[0] <= label.width + 1 and label.texture_size[1] <= label.height + 1


def steps(d: Any) -> Iterator[Any]:
    from kiosk.owner import shop_total
    from tests.owner.owner_ui_driver import (
        OWNER_PIN,
        finger,
        hidden_gesture,
        on,
        press_keys,
        scroll_into_view,
        until,
    )
    from tests.screen.ui_driver import tap

    app = d.app
    attract = app.screen("attract")
    slides = attract.ids.slides
    yield until("available, with a shop total", lambda: app.health is not None
                and app.available and app.shop_total_cents > 0)
    yield until("first photo", lambda: getattr(slides.current_screen, "photo", None))
    yield 0.3
    slide = slides.current_screen
    d.report["sponsor_line"] = slide.ids.sponsor.text
    d.report["sponsor_fits"] = fits(slide.ids.sponsor)
    d.shot("match-attract-sponsor")
    # The loop turns by itself from its last project to the shop's total, then the first.
    attract.choice.index = len(app.projects) - 1
    attract._show(attract.choice.index, animate=False)
    yield 0.2
    d.report["unsponsored_line"] = slides.current_screen.ids.sponsor.text
    attract.next_slide()
    yield until("the shop total shown",
                lambda: slides.current == "shop_total" and not slides.transition.is_active)
    yield 0.3
    shop = slides.current_screen
    d.report["shop_words"] = shop.ids.shop_words.text
    d.report["shop_fits"] = shop.ids.shop_words.texture_size[1] <= shop.ids.shop_words.height \
        + 1 and fits(shop.ids.shop_amount) and fits(shop.ids.shop_thanks)
    d.shot("match-shop-total")
    attract.next_slide()
    yield until("a project after the shop total",
                lambda: slides.current != "shop_total" and not slides.transition.is_active)
    d.report["after_shop_slide"] = attract.choice.index
    screens = []
    tap(attract.ids.give)
    yield d.at("amount")
    screens.append(app.manager.current)
    tap(list(reversed(d.widget("amount", "presets").children))[1])  # 5 €
    yield until("payment", lambda: app.manager.current == "payment")
    screens.append(app.manager.current)
    d.report["give_screens"] = screens
    yield d.at("thanks")
    yield 1.4
    thanks = app.screen("thanks")
    d.report["doubled"] = thanks.ids.doubled.text
    column = thanks.ids.doubled.parent
    d.report["doubled_fits"] = fits(thanks.ids.doubled) and all(
        w.y >= column.y - 1 and w.top <= column.top + 1 for w in column.children
        if w.height)  # nothing pushed out of its column (over the title)
    d.report["shop_total_after_gift"] = app.shop_total_cents
    d.shot("match-thanks-doubled")
    tap(d.widget("thanks", "done"))
    yield d.at("attract")
    yield 0.3
    # The owner's settings: the hidden corner, the PIN, « Écran », the switch.
    yield from hidden_gesture(3.5)
    yield on(app, "settings")
    yield from press_keys(d, OWNER_PIN)
    tap(d.widget("settings", "ok"))
    yield on(app, "owner_home")
    tap(d.widget("owner_home", "display"))
    yield on(app, "owner_display")
    display = app.screen("owner_display")
    off = d.widget("owner_display", "shop_total_off")
    scroll = off.parent.parent.parent
    yield from scroll_into_view(scroll, off)
    yield 0.2
    d.shot("match-owner-switch-on")
    yield from finger(off)
    yield until("switched off", lambda: app.shop_total_cents == 0 and not
                display.shop_total_shown)
    yield 0.3
    d.shot("match-owner-switch-off")
    d.report["setting_after_off"] = app.context.ledger.get_setting(shop_total.SETTING)
    d.report["audit"] = [[a, json.loads(detail)] for a, detail in
                         app.context.ledger.db.conn.execute(
                             "SELECT action, detail FROM audit_log ORDER BY seq")]
    d.report["shop_total_after_off"] = app.shop_total_cents
    tap(d.widget("owner_display", "back"))
    yield on(app, "owner_home")
    attract.choice.index = len(app.projects) - 1
    attract.choice.paused_until = 0
    attract.next_slide()
    yield 0.2
    d.report["loop_after_off"] = slides.current


def main(argv: list[str] | None = None) -> int:
    from kiosk.core import pin as pinmod
    from kiosk.owner.options import OwnerOptions
    from tests.owner.owner_ui_driver import LOCK_SCHEDULE, OWNER_PIN

    def prepare(ledger: Ledger, data_dir: Path) -> None:
        ledger.set_setting("pin_hash", pinmod.hash_pin(OWNER_PIN, log2_n=10))
        # The last catalog said: 1 240 € collected here this month, and the shop's name (no
        # projects cached: the screen is handed its projects).
        ledger.switch_catalog([], "v1", '"v1"', set(),
                              shop_total=(f"{dt.datetime.now():%Y-%m}", 124_000, "EUR"),
                              shop_name=SHOP_NAME)

    def sponsored(projects: list[Project]) -> list[Project]:
        return [dataclasses.replace(projects[0], sponsor=SPONSOR), *projects[1:3]]

    return run_screen_child(argv, steps, projects=sponsored, prepare=prepare,
                            owner=lambda data_dir: OwnerOptions(
                                data_dir=data_dir, opening_time="00:00", closing_time="00:00",
                                lock_schedule=LOCK_SCHEDULE))


if __name__ == "__main__":
    sys.exit(main())
