"""A matching sponsor, the doubled thank-you, the shop's month total in the loop and the
owner's switch for it, in the real app (offscreen window, real touches, the real bridge and
terminal simulator, a real ledger file), in French and English at the three display sizes.
Screenshots are kept as tests/helpers/screenshots.py says.

    python -m tests.screen.test_matching_screen --size 800x480 --workdir DIR [--lang en]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.catalog import Sponsor
from tests.helpers.screenshots import keep_screenshots
from tests.screen.test_screen_ui import SIZES

ROOT = Path(__file__).resolve().parents[2]
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
    workdir = tmp_path / f"match-{size}-{lang}"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "tests.screen.test_matching_screen",
                           "--size", size, "--workdir", str(workdir), "--lang", lang],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    report_path = workdir / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    keep_screenshots(report["shots"].values())

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
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--lang", default="fr")
    args = parser.parse_args(argv)
    from tests.screen.ui_driver import configure_window

    configure_window(args.workdir, *(int(v) for v in args.size.split("x")))
    from kivy.clock import Clock

    from kiosk.core import pin as pinmod
    from kiosk.owner.options import OwnerOptions
    from kiosk.payment.client import BridgeClient
    from kiosk.payment.port import BridgePort
    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font, tune_interpreter
    from kiosk.screen.ui import hardening
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.helpers.real_bridge import start_bridge
    from tests.owner.owner_ui_driver import LOCK_SCHEDULE, OWNER_PIN
    from tests.screen.screen_fixtures import make_projects, open_ledger
    from tests.screen.ui_driver import RECEIPT_KEY, Driver, run_steps

    data_dir = args.workdir / "data"
    ledger = open_ledger(data_dir / "kiosk.db")
    ledger.set_setting("receipt_key", RECEIPT_KEY)
    ledger.set_setting("pin_hash", pinmod.hash_pin(OWNER_PIN, log2_n=10))
    # The last catalog said: 1 240 € collected here this month, and the shop's name (no
    # projects cached: the screen is handed its projects below).
    ledger.switch_catalog([], "v1", '"v1"', set(),
                          shop_total=(f"{dt.datetime.now():%Y-%m}", 124_000, "EUR"),
                          shop_name=SHOP_NAME)
    bridge = start_bridge(Path(tempfile.mkdtemp(prefix="ks-")), "approve:0.8", card_wait_s=1.5)
    port = BridgePort(BridgeClient(bridge.socket_path, timeout_s=2, pay_timeout_s=10))
    projects = make_projects(args.workdir / "photos")[:3]
    projects[0] = dataclasses.replace(projects[0], sponsor=SPONSOR)
    settings = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                            custom_max_cents=15000, idle_timeout_s=30, payment_timeout_s=60)
    options = OwnerOptions(data_dir=data_dir, opening_time="00:00", closing_time="00:00",
                           lock_schedule=LOCK_SCHEDULE)
    context = KioskContext(flow_settings=settings, projects=projects, ledger=ledger, port=port,
                           device_id="kiosk-test-01", receipt_base_url="http://127.0.0.1:9/api",
                           language=args.lang, slide_duration_s=30, health_interval_s=0.5,
                           owner=options)
    register_font()
    tune_interpreter()
    app = KioskApp(context)
    driver = Driver(app, args.workdir, args.size, args.lang)
    hardening.lock_window(app)
    result: dict[str, Any] = {}

    def done(error: str | None) -> None:
        result["error"] = error
        app.stop()

    app.bind(on_shown=lambda *_a: Clock.schedule_once(
        lambda _dt: run_steps(app, steps(driver), 20.0, done), 0.2))
    started = time.monotonic()
    app.run()
    report = driver.report | {"error": result.get("error"),
                              "run_s": time.monotonic() - started}
    bridge.stop()
    (args.workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return 0 if report["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
