"""Drive the shop owner's settings in the real KioskApp, offscreen, with touch events.

    python -m tests.owner.owner_ui_driver --size 800x480 --scenario tour --workdir DIR

One scenario per process (one Kivy Window per process). Touches go through Kivy's input
pipeline (UnitTestTouch), the hidden gesture is a real 3-second press in the corner, and the
ledger is a real SQLite file. Screenshots go to DIR/shots; DIR/report.json holds what the test
checks (screens seen, lock delays, audit rows, the attract loop's projects).

Scenarios: ``tour`` (gesture, wrong PINs and lockout, home, featured with preview and save,
display, PIN change), ``idle`` (outside opening hours), ``timeout`` (closes itself),
``donation`` (the gesture does nothing while a donation is in progress).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.screen.ui_driver import RECEIPT_KEY, Driver, configure_window, run_steps, tap

OWNER_PIN = "482193"
WRONG_PIN = "1111"
LOCK_SCHEDULE = (0, 2, 3)  # short delays, so the lockout is seen and waited out for real


def press_keys(d: Driver, keys: str) -> Iterator[Any]:
    grid = d.widget("settings", "keys")
    for key in keys:
        tap(next(b for b in grid.children if getattr(b, "text", None) == key))
        yield 0.03


def finger(widget: Any, hold_s: float = 0.08) -> Iterator[Any]:
    """A real finger's tap: down, a short hold, up. (A down and up in the same frame confuses
    ScrollView's tap detection, which then presses the row twice.)"""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    yield hold_s
    touch.touch_up()
    yield 0.05


def hidden_gesture(hold_s: float) -> Iterator[Any]:
    """A finger held on the attract loop's top-left corner for ``hold_s`` seconds."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(8, Window.height - 8)
    touch.touch_down()
    # the corner has really received the press
    yield until("corner pressed", lambda: "hidden_corner" in touch.ud)
    yield hold_s
    touch.touch_up()
    yield 0.1


def scroll_into_view(scroll: Any, widget: Any) -> Iterator[Any]:
    """Scroll until ``widget`` is wholly inside the list's window, and the frame is drawn."""
    scroll.scroll_to(widget, animate=False)

    def inside() -> bool:
        left, bottom = scroll.to_window(scroll.x, scroll.y)
        x, y = widget.to_window(widget.x, widget.y)
        return bottom - 1 <= y and y + widget.height <= bottom + scroll.height + 1
    yield inside
    yield 0.1


def backlight_file(app: Any) -> Path:
    return app.owner.backlight.device / "brightness"


def audit_actions(app: Any) -> list[str]:
    return [r[0] for r in app.context.ledger.db.conn.execute(
        "SELECT action FROM audit_log ORDER BY seq")]


def until(description: str, condition: Any) -> Any:
    """A waited-for condition whose name says what was awaited if it times out."""
    condition.__qualname__ = description
    return condition


def on(app: Any, name: str) -> Any:
    return until(f"screen {name}", lambda: app.manager.current == name
                 and not app.manager.transition.is_active)


def tour(d: Driver) -> Iterator[Any]:
    app, report = d.app, d.report
    yield on(app, "attract")
    yield 0.3
    yield from hidden_gesture(1.0)  # too short: nothing happens
    report["after_short_press"] = app.manager.current
    yield from hidden_gesture(3.5)
    yield on(app, "settings")
    report["screens"].append("settings")
    pad = app.screen("settings")
    d.shot("owner-pin")
    # Wrong PINs: the first is forgiven, the second locks for 2 s, the third for 3 s.
    report["locks"] = []
    for _ in range(2):
        yield from press_keys(d, WRONG_PIN)
        tap(d.widget("settings", "ok"))
        yield until("not pad.checking", lambda: not pad.checking)
        yield 0.1
        report["locks"].append(pad.locked_for_s)
    d.shot("owner-pin-locked")
    report["ok_disabled_while_locked"] = d.widget("settings", "ok").disabled
    report["keys_disabled_while_locked"] = all(k.disabled for k in pad.ids["keys"].children)
    yield from press_keys(d, OWNER_PIN)  # ignored while locked
    report["pin_length_while_locked"] = pad.pin_length
    started = time.monotonic()
    yield until("pad.locked_for_s == 0", lambda: pad.locked_for_s == 0)
    report["waited_s"] = round(time.monotonic() - started, 1)
    yield from press_keys(d, OWNER_PIN)
    tap(d.widget("settings", "ok"))
    yield on(app, "owner_home")
    report["screens"].append("owner_home")
    home = app.screen("owner_home")
    yield until("today shown", lambda: bool(home.today_text))
    report.setdefault("targets", {}).update(
        {f"home {name}": list(d.widget("owner_home", name).size)
         for name in ("featured", "display", "test_terminal", "sync_now", "change_pin", "close")})
    report["targets"]["pin ok"] = list(d.widget("settings", "ok").size)
    report["today_text"], report["backlog_text"] = home.today_text, home.backlog_text
    report["attention"] = list(home.attention)
    tap(d.widget("owner_home", "test_terminal"))
    yield until("not home.terminal_testing", lambda: not home.terminal_testing)
    report["terminal_text"] = home.terminal_text
    yield 0.2
    d.shot("owner-home")
    # Featured: drop the first, add the last, move it to the front, preview, save.
    tap(d.widget("owner_home", "featured"))
    yield on(app, "owner_featured")
    featured = app.screen("owner_featured")
    yield until("len(featured.entries) > 0", lambda: len(featured.entries) > 0)
    yield 0.3
    d.shot("owner-featured")
    scroll = featured.ids.scroll
    for project_id in ("proj-1", "proj-6", "proj-5"):
        yield from scroll_into_view(scroll, featured.row(project_id))
        before = list(featured.draft.chosen)
        yield from finger(featured.row(project_id))
        if project_id == "proj-6":
            yield until("featured.message", lambda: featured.message)
        else:
            yield until(f"draft changed by {project_id}",
                        lambda b=before: featured.draft.chosen != b)
        yield 0.1
        if project_id == "proj-6":  # it has ended: refused, with the reason, and marked
            report["refused"] = featured.message
            d.shot("owner-featured-refused")
    row = featured.row("proj-5")
    targets = report.setdefault("targets", {})
    targets["arrow up"] = list(row.ids.up.size)
    targets["arrow down"] = list(row.ids.down.size)
    targets["save"] = list(d.widget("owner_featured", "save").size)
    while featured.draft.chosen[0] != "proj-5":  # its ▲ arrow, tapped until it is first
        yield from scroll_into_view(scroll, row)
        place = featured.draft.chosen.index("proj-5")
        yield from finger(row.ids.up)
        yield until("proj-5 moved up",
                    lambda p=place: featured.draft.chosen.index("proj-5") == p - 1)
    report["draft"] = list(featured.draft.chosen)
    tap(d.widget("owner_featured", "preview"))
    yield on(app, "owner_preview")
    yield until("preview photo", lambda: d.app.screen("owner_preview").photo is not None)
    yield 0.2
    d.shot("owner-preview")
    report["preview_first"] = d.app.screen("owner_preview").title
    tap(d.widget("owner_preview", "back"))
    yield on(app, "owner_featured")
    tap(d.widget("owner_featured", "save"))
    yield until("not featured.dirty", lambda: not featured.dirty)
    report["projects_after_save"] = [p.id for p in app.projects]
    report["featured_message"] = featured.message
    yield 0.2
    d.shot("owner-featured-saved")
    tap(d.widget("owner_featured", "back"))
    yield on(app, "owner_home")
    # Screen settings: later opening, English.
    tap(d.widget("owner_home", "display"))
    yield on(app, "owner_display")
    display = app.screen("owner_display")
    tap(d.widget("owner_display", "opens_later"))
    yield 0.1
    tap(d.widget("owner_display", "dimmer"))
    yield until("brightness written", lambda: (backlight_file(app).read_text() == "230\n"))
    report["brightness"] = display.brightness
    tap(d.widget("owner_display", "lang_en"))
    yield until("app.lang == 'en'", lambda: app.lang == "en")
    yield 0.3
    d.shot("owner-display")
    report["opens"] = display.opens
    report["targets"].update({name: list(d.widget("owner_display", name).size)
                              for name in ("opens_later", "dimmer", "lang_en", "back")})
    tap(d.widget("owner_display", "back"))
    yield on(app, "owner_home")
    # Change the PIN on the screen.
    tap(d.widget("owner_home", "change_pin"))
    yield on(app, "settings")
    for pin in (OWNER_PIN, "246810", "246810"):
        yield from press_keys(d, pin)
        if pin == OWNER_PIN:
            d.shot("owner-pin-change")
        tap(d.widget("settings", "ok"))
        yield until("not pad.checking", lambda: not pad.checking)
        yield 0.05
    yield on(app, "owner_home")
    tap(d.widget("owner_home", "close"))
    yield on(app, "attract")
    yield 0.5
    d.shot("attract-after-settings")
    report["attract_project"] = app.screen("attract").current_project_id
    report["audit"] = audit_actions(app)


def idle(d: Driver) -> Iterator[Any]:
    app, panel, report = d.app, d.app.owner, d.report
    yield until("idle", lambda: app.manager.current == "owner_idle")
    report["screens"].append("owner_idle")
    yield until("backlight dimmed", lambda: backlight_file(app).read_text() != "255\n")
    report["idle_backlight"] = backlight_file(app).read_text().strip()
    yield 0.3
    d.shot("owner-idle")
    # the waking touch, held a moment: the attract loop appears under the finger before it lifts
    yield from finger(app.manager.current_screen, hold_s=0.3)
    yield on(app, "attract")
    report["screens"].append("attract")
    report["step_after_wake"] = app.step  # the waking touch did not start a donation
    report["dimmed_after_wake"] = panel.dimmed
    yield until("backlight restored", lambda: backlight_file(app).read_text() == "255\n")
    # dims again after wake_for_s
    yield until("idle again", lambda: app.manager.current == "owner_idle")
    report["screens"].append("owner_idle")


def timeout(d: Driver) -> Iterator[Any]:
    app, report = d.app, d.report
    yield on(app, "attract")
    yield from hidden_gesture(3.5)
    yield on(app, "settings")
    shown = time.monotonic()
    yield on(app, "attract")  # a PIN pad left alone closes too
    report["pad_closed_after_s"] = round(time.monotonic() - shown, 1)
    yield from hidden_gesture(3.5)
    yield on(app, "settings")
    yield from press_keys(d, OWNER_PIN)
    tap(d.widget("settings", "ok"))
    yield on(app, "owner_home")
    opened = time.monotonic()
    yield on(app, "attract")
    report["closed_after_s"] = round(time.monotonic() - opened, 1)
    yield 0.3
    report["audit"] = audit_actions(app)


def donation(d: Driver) -> Iterator[Any]:
    app, report = d.app, d.report
    yield on(app, "attract")
    yield until("app.available", lambda: app.available)
    tap(d.widget("attract", "give"))
    yield on(app, "amount")
    app.dispatch("on_hidden_gesture")  # whatever asks for the settings now is refused
    yield 0.3
    report["screens"].append(app.manager.current)
    report["audit"] = audit_actions(app)


SCENARIOS = {"tour": tour, "idle": idle, "timeout": timeout, "donation": donation}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--scenario", default="tour", choices=sorted(SCENARIOS))
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--lang", default="fr")
    args = parser.parse_args(argv)
    workdir: Path = args.workdir
    configure_window(workdir, *(int(v) for v in args.size.split("x")))

    from kiosk.core import pin as pinmod
    from kiosk.core.catalog import Catalog
    from kiosk.owner.options import OwnerOptions
    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font, tune_interpreter
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.owner.owner_fixtures import store_catalog
    from tests.screen.screen_fixtures import ScriptedPort, make_projects, open_ledger

    data_dir = workdir / "data"
    shutil.rmtree(data_dir, ignore_errors=True)  # every run starts from a new ledger
    ledger = open_ledger(data_dir / "kiosk.db")
    ledger.set_setting("receipt_key", RECEIPT_KEY)
    ledger.set_setting("pin_hash", pinmod.hash_pin(OWNER_PIN, log2_n=10))
    for state in ("approved", "approved", "unknown"):  # today's figures and one to check
        donation = ledger.create_pending("proj-1", 500, "EUR")
        ledger.finish(donation.id, state)
    backlight = workdir / "sysfs-backlight"  # shaped like /sys/class/backlight
    (backlight / "10-0045").mkdir(parents=True, exist_ok=True)
    (backlight / "10-0045" / "max_brightness").write_text("255\n")
    (backlight / "10-0045" / "brightness").write_text("255\n")
    projects = make_projects(workdir / "photos")
    catalog = store_catalog(ledger, data_dir, projects, ended=["proj-6"])
    port = ScriptedPort(outcome="approved", card_wait_s=0.5, connected=True,
                        record=workdir / "acquirer.jsonl")
    now = dt.datetime.now()
    if args.scenario == "idle":  # closed now: opens in two hours, closes in three
        opens, closes = ((now + dt.timedelta(hours=h)).strftime("%H:%M") for h in (2, 3))
    else:
        opens, closes = "00:00", "00:00"  # always open
    options = OwnerOptions(
        data_dir=data_dir, max_featured=4, opening_time=opens, closing_time=closes,
        inactivity_timeout_s=2.0 if args.scenario == "timeout" else 60.0,
        wake_for_s=1.5, idle_check_s=0.3, backlight_root=backlight,
        lock_schedule=LOCK_SCHEDULE)
    settings = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                            custom_max_cents=15000, idle_timeout_s=30, payment_timeout_s=60)
    shown = [p for p in catalog.projects if p.id != "proj-6"][:4]
    context = KioskContext(flow_settings=settings, projects=shown, ledger=ledger, port=port,
                           device_id="kiosk-test-01", receipt_base_url="http://127.0.0.1:9/api",
                           language=args.lang, slide_duration_s=30, health_interval_s=0.5,
                           owner=options)
    assert isinstance(catalog, Catalog)
    register_font()
    tune_interpreter()
    app = KioskApp(context)
    from kiosk.screen.ui import hardening

    hardening.lock_window(app)
    driver = Driver(app, workdir, args.size, args.lang)
    result: dict[str, Any] = {}

    def done(error: str | None) -> None:
        result["error"] = error
        app.stop()

    from kivy.clock import Clock

    # The owner's settings are installed once the first frame is out (app.on_shown).
    def start(*_args: Any) -> None:  # returns None: a true value would stop the event
        Clock.schedule_once(lambda _dt: run_steps(
            app, SCENARIOS[args.scenario](driver), 12.0, done), 0.2)

    app.bind(on_shown=start)
    app.run()
    report = driver.report
    report["error"] = result.get("error")
    report["pay_calls"] = port.pay_calls
    (workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return 0 if report["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
