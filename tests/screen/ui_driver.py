"""Drive the real KioskApp in a real (offscreen) window with touch events, in its own process.

    python -m tests.screen.ui_driver --size 800x480 --scenario approved --workdir DIR [--lang en]

Kivy's Window is one per process, so each scenario runs here in a subprocess started by the
tests. Touches go through Kivy's input pipeline (UnitTestTouch posts to the event loop) and
land on whatever widget is really under that point. Screenshots go to DIR/shots; a JSON report
(screens seen, ledger rows, port calls) is written to DIR/report.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RECEIPT_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
# What the terminal simulator does for each scenario run against the real bridge.
SIM_SCRIPTS = {"approved": "approve:0.8", "declined": "decline:0.8", "recover": "approve:0.1",
               "unknown": "approve+lose_answer", "unavailable": "", "timeout": "",
               "link_error": "", "locked": "", "choose": "approve:0.8", "slow-photo": "",
               "amount-rebuilds": "", "idle-frames": ""}


def fault_on_cue(scenario: str, bridge: Any) -> Callable[[], None] | None:
    """A terminal fault that starts once the screen has seen the terminal answer (giving is
    available), so the bridge's start-up probe does not meet it: timeout, the terminal stops
    answering ENQ (the simulator's ``silence``); link_error, its device goes away."""
    if scenario == "timeout":
        from firmware_bridge.script import parse_step

        return lambda: bridge.sim.script.push(parse_step("approve+silence"))
    if scenario == "link_error":
        return bridge.sim.stop
    return None


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def journal_rows(path: Path) -> list[dict]:
    """The bridge's own journal, read as a separate SQLite reader."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT reference, short_reference, amount_cents, state, outcome"
                            " FROM payments ORDER BY created_at").fetchall()
    finally:
        conn.close()
    return [{"reference": r[0], "short_reference": r[1], "amount_cents": r[2], "state": r[3],
             "outcome": json.loads(r[4]) if r[4] else None} for r in rows]


def ledger_state(path: Path, donation_id: str) -> str:
    """A donation's state, read through a connection of the test's own."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT state FROM donations WHERE id = ?",
                            (donation_id,)).fetchone()[0]
    finally:
        conn.close()


def configure_window(workdir: Path, width: int, height: int, rotation: int = 0) -> None:
    """Kivy set up as the kiosk sets it up, for an offscreen window of width x height, its
    home under ``workdir``; before anything imports Kivy (one window per process)."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kiosk.screen.ui import hardening

    hardening.prepare_environment(workdir / "kivy-home")
    hardening.apply_config(width=width, height=height, fullscreen=False, rotation=rotation)


def tap(widget: Any) -> None:
    touch = panel_touch(*widget.to_window(*widget.center))
    touch.touch_down()
    touch.touch_up()


def swipe(widget: Any, from_x: float, to_x: float) -> None:
    """A finger drawn across ``widget`` from one fraction of its width to another."""
    y = widget.to_window(*widget.center)[1]
    x0, _ = widget.to_window(widget.x + widget.width * from_x, 0)
    x1, _ = widget.to_window(widget.x + widget.width * to_x, 0)
    touch = panel_touch(x0, y)
    touch.touch_down()
    for k in range(1, 6):
        touch.touch_move(x0 + (x1 - x0) * k / 5, y)
    touch.touch_up()


def choose_steps(d: Driver) -> Iterator[Any]:
    """The donor moves through the projects, opens the grid, gives to the one nearly funded."""
    app, attract = d.app, d.app.screen("attract")
    slides = attract.ids.slides
    report = d.report["choose"] = {"ids": [attract.current_project_id]}
    idle = lambda: not slides.transition.is_active  # noqa: E731
    swipe(slides, 0.8, 0.2)
    yield 0.05
    yield idle
    report["ids"].append(attract.current_project_id)  # after the swipe
    tap(attract.ids.next)
    yield 0.05
    yield idle
    report["ids"].append(attract.current_project_id)  # after the arrow
    tap(attract.ids.previous)
    yield 0.05
    yield idle
    report["ids"].append(attract.current_project_id)
    report["paused"] = attract.choice.paused(app.context.clock())
    yield 0.2
    d.shot("attract-chosen")
    tap(attract.ids.all_projects)
    yield d.at("projects")
    yield 0.2
    d.shot("projects")
    grid = d.widget("projects", "grid")
    tap(next(t for t in grid.children if t.project_id == "proj-4"))
    yield d.at("amount")
    report["amount_title"] = app.project_title
    tap(list(reversed(d.widget("amount", "presets").children))[1])
    yield d.at("thanks")
    yield 1.6  # the bar's animation
    d.shot("thanks-goal")
    report["bar"] = [app.thanks_progress_from, app.thanks_progress_to,
                     d.widget("thanks", "bar").value]
    report["goal_text"] = d.widget("thanks", "goal").text
    report["supporter_text"] = d.widget("thanks", "supporter").text
    tap(d.widget("thanks", "done"))
    yield d.at("attract")
    yield 0.3
    slide = slides.current_screen
    report["back_on"] = slide.project_id
    report["slide_text"] = slide.ids.raised.text
    d.shot("attract-goal")


def idle_frames_steps(d: Driver) -> Iterator[Any]:
    """The frames the window draws in two seconds on a slide that changes nothing (after a
    slide transition, the slide's photo and QR code in), and during the next transition."""
    from kivy.core.window import Window

    app, attract = d.app, d.app.screen("attract")
    slides = attract.ids.slides
    idle = lambda: not slides.transition.is_active  # noqa: E731
    attract.move(1)  # a new slide, built now (the loop then waits for the donor)
    yield idle
    yield lambda: slides.current_screen.photo is not None
    yield lambda: slides.current_screen.learn_more is not None
    yield 0.5
    flips = {"n": 0}

    def count(*_args: Any) -> None:
        flips["n"] += 1

    Window.bind(on_flip=count)
    yield 2.0
    d.report["idle_frames"] = flips["n"]
    attract.move(1)
    yield 0.05
    yield idle
    d.report["transition_frames"] = flips["n"] - d.report["idle_frames"]
    Window.unbind(on_flip=count)
    d.report["screens"].append(app.manager.current)


def panel_touch(x: float, y: float) -> Any:
    """A touch at the app's window point (x, y), reported as a touch panel reports it: in the
    panel's own orientation, which Kivy turns by the display's rotation (screen.rotation).
    Kivy's UnitTestTouch takes the point as already turned; on a rotated display it would
    land elsewhere."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    width, height = Window._get_effective_size()  # the panel's pixels, before rotation
    x_max, y_max = max(1, width - 1), max(1, height - 1)
    nx, ny = {0: (x / x_max, y / y_max), 90: (1 - y / x_max, x / y_max),
              180: (1 - x / x_max, 1 - y / y_max), 270: (y / x_max, 1 - x / y_max)}[
                  Window.rotation]
    touch = UnitTestTouch(0, 0)
    touch.sx, touch.sy = nx, ny  # UnitTestTouch normalises by the turned size: set them
    touch.osx, touch.osy, touch.psx, touch.psy = nx, ny, nx, ny
    return touch


class Driver:
    def __init__(self, app: Any, workdir: Path, size: str, lang: str,
                 on_available: Callable[[], None] | None = None):
        self.app, self.workdir, self.size, self.lang = app, workdir, size, lang
        self.on_available = on_available  # run once giving is available, before the first tap
        self.report: dict[str, Any] = {"screens": [], "shots": {}, "errors": []}
        (workdir / "shots").mkdir(parents=True, exist_ok=True)

    def widget(self, screen: str, wid: str) -> Any:
        return self.app.screen(screen).ids[wid]

    def shot(self, name: str) -> str:
        from kivy.core.window import Window

        path = self.workdir / "shots" / f"{name}-{self.size}-{self.lang}.png"
        if Window.rotation:
            self._turned_shot(path)
        else:
            Window.screenshot(str(path))  # Kivy numbers the file: name0001.png
            produced = sorted(path.parent.glob(path.stem + "*.png"))[-1]
            produced.rename(path)
        self.report["shots"][name] = str(path)
        return str(path)

    @staticmethod
    def _turned_shot(path: Path) -> None:
        """The panel's pixels turned as the person in front of a rotated display sees them
        (Window.screenshot reads the turned size from the unturned framebuffer)."""
        from kivy.core.window import Window
        from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
        from PIL import Image

        width, height = Window._get_effective_size()
        pixels = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
        image = Image.frombytes("RGB", (width, height), pixels)
        image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).rotate(
            -Window.rotation, expand=True).save(path)

    def at(self, step: str) -> Callable[[], bool]:
        # ScreenManager ignores touches while a transition runs (one frame with NoTransition).
        return lambda: (self.app.manager.current == step and self.app.step == step
                        and not self.app.manager.transition.is_active)


def scenario_steps(d: Driver, name: str) -> Iterator[Any]:
    app = d.app
    if name == "slow-photo":  # the first photo never decodes (a FIFO nobody writes to)
        yield 0.2
        d.shot("attract-no-photo")
        with open(d.workdir / "photos" / "never.jpg", "wb") as fifo:  # let the decoder go
            fifo.write(b"not a photo")
        return
    yield lambda: app.health is not None
    yield lambda: getattr(app.screen("attract").ids.slides.current_screen, "photo", None)
    yield 0.3
    if name == "recover":  # a donation the previous run left pending, already paid
        yield lambda: ledger_state(d.workdir / "data" / "kiosk.db",
                                   d.report["recover_id"]) != "pending"
        d.report["screens"].append(app.manager.current)
        return
    if name == "locked":
        from kivy.config import Config
        from kivy.core.window import Window

        # What a customer (or a USB keyboard) could try to leave the kiosk.
        Window.dispatch("on_keyboard", 27, 41, None, [])  # Escape
        Window.dispatch("on_keyboard", 282, 58, None, [])  # F1: the settings panel
        Window.dispatch("on_keyboard", 285, 61, None, ["alt"])  # Alt-F4
        Window.dispatch("on_request_close")  # the window's close button
        yield 0.5
        # Offline, giving still works: once the bridge's first probe is in (a loaded machine
        # may take longer than the half second above); never, and the run times out.
        yield lambda: app.available
        d.shot("attract-offline")
        d.report["offline_text"] = d.widget("attract", "offline").text
        d.report["available_offline"] = app.available
        d.report["still_running"] = app.manager.current == "attract" and app.root is not None
        d.report["settings_panel_open"] = app._app_settings is not None and \
            app._app_settings.parent is not None
        d.report["show_cursor"] = Config.get("graphics", "show_cursor")
        d.report["input"] = dict(Config.items("input"))
        d.report["kivy_home_files"] = sorted(
            str(p.relative_to(d.workdir / "kivy-home"))
            for p in (d.workdir / "kivy-home").rglob("*") if p.is_file())
        return
    if name == "unavailable":
        d.shot("attract-unavailable")
        tap(d.widget("attract", "give"))
        yield 0.5
        d.report["screens"].append(app.manager.current)
        return
    yield lambda: app.available  # the bridge's first probe may still be running
    if name == "choose":
        yield from choose_steps(d)
        return
    if name == "idle-frames":
        yield from idle_frames_steps(d)
        return
    if d.on_available is not None:
        d.on_available()
    d.shot("attract")
    tap(d.widget("attract", "give"))
    yield d.at("amount")
    d.report["screens"].append("amount")
    yield 0.2
    d.shot("amount")
    if name == "amount-rebuilds":  # the preset buttons rebuilt on each language change
        import gc

        grid = d.widget("amount", "presets")
        gc.collect()  # a dropped widget's kv bindings go with it (Kivy unbinds them then)
        observers = len(app.get_property_observers("scale"))
        built = []
        for _ in range(10):
            before = [c.text for c in grid.children]  # texts: holding the buttons would keep
            app.toggle_language()                      # their bindings alive
            yield lambda b=before: [c.text for c in grid.children] != b
            built.append([c.text for c in reversed(grid.children)])
        d.report["rebuilt_labels"] = built
        gc.collect()
        d.report["scale_observers"] = [observers, len(app.get_property_observers("scale"))]
        # The leak kept every dropped preset button alive through its binding on the app:
        # count the buttons no longer in the grid that are still in memory.
        from kivy.factory import Factory

        button_class = Factory.get("KioskButton")
        labels = {text for texts in built for text in texts}
        d.report["dropped_presets_alive"] = sum(
            1 for o in gc.get_objects()
            if isinstance(o, button_class) and o.parent is None and o.text in labels)
        app.scale *= 1.5  # the new buttons still follow the layout scale
        yield 0.05
        d.report["preset_font_sizes"] = [round(c.font_size / app.scale, 3)
                                         for c in grid.children]
        return
    if name == "approved":  # ("approved-demo" skips the keypad detour)
        tap(d.widget("amount", "other"))
        yield d.at("keypad")
        for key in ("1", "2"):
            tap(next(b for b in d.widget("keypad", "keys").children
                     if getattr(b, "text", None) == key))
            yield 0.05
        yield 0.2
        d.shot("keypad")
        d.report["keypad_text"] = app.keypad_text
        tap(d.widget("keypad", "back"))
        yield d.at("amount")
    grid = d.widget("amount", "presets")
    first = list(reversed(grid.children))[1]
    tap(first)
    tap(first)  # a double tap must give once
    yield d.at("payment")
    d.report["screens"].append("payment")
    if name == "cancelled":
        yield lambda: app.cancellable
        yield 0.1
        d.shot("payment-cancellable")
        tap(d.widget("payment", "cancel"))
        tap(d.widget("payment", "cancel"))
    else:
        yield lambda: app.flow.stage == "waiting_card" or app.step != "payment"
        if app.step == "payment":
            yield 0.1
            d.shot("payment")
    final = "thanks" if name.startswith("approved") else "outcome"
    yield d.at(final)
    d.report["screens"].append(final)
    yield 0.3
    d.shot(final if final == "thanks" else f"outcome-{name}")
    d.report["receipt_url"] = app.receipt_url
    d.report["final_title"] = d.widget(final, "title").text
    d.report["final_body"] = (d.widget("outcome", "body").text if final == "outcome"
                              else d.widget("thanks", "receipt_hint").text)
    tap(d.widget(final, "done"))
    yield d.at("attract")
    d.report["screens"].append("attract")


def run_steps(app: Any, steps: Iterator[Any], timeout_s: float, on_done: Callable) -> None:
    from kivy.clock import Clock

    state: dict[str, Any] = {"until": None, "deadline": None}

    def advance(_dt: float) -> None:
        try:
            cond = state["until"]
            if cond is not None:
                if callable(cond) and not cond():
                    if time.monotonic() > state["deadline"]:
                        raise TimeoutError(f"condition not met in {timeout_s}s: {cond}")
                    return
                if isinstance(cond, float) and time.monotonic() < cond:
                    return
            step = next(steps)
            state["until"] = (time.monotonic() + step) if isinstance(step, (int, float)) \
                else step
            state["deadline"] = time.monotonic() + timeout_s
        except StopIteration:
            event.cancel()
            on_done(None)
        except Exception:  # noqa: BLE001 - reported to the test, which fails
            event.cancel()
            on_done(traceback.format_exc())

    event = Clock.schedule_interval(advance, 0.02)


def run_app(app: Any, driver: Driver, scenario: str) -> dict[str, Any]:
    from kiosk.screen.ui import hardening

    hardening.lock_window(app)
    result: dict[str, Any] = {}

    def done(error: str | None) -> None:
        result["error"] = error
        app.stop()

    from kivy.clock import Clock

    # Once the first frame is out (the owner's settings are installed then), and a moment.
    started = time.monotonic()

    def start(*_args: Any) -> None:  # returns None: a true value would stop the event
        slide = app.screen("attract").ids.slides.current_screen
        from kiosk.screen.ui.readiness import SHOWN_AT_LATEST_S

        driver.report["shown"] = {"after_s": time.monotonic() - started,
                                  "photo": slide is not None and slide.photo is not None,
                                  "limit_s": SHOWN_AT_LATEST_S, "available": app.available,
                                  "portrait": app.portrait,
                                  "give_text": app.screen("attract").ids.give.text,
                                  # QR codes wait for the first frame (KioskApp.after_shown)
                                  "qrcode_imported": "qrcode" in sys.modules}
        Clock.schedule_once(lambda _dt: run_steps(
            app, scenario_steps(driver, scenario), 20.0, done), 0.2)

    app.bind(on_shown=start)
    app.run()
    return result


def run_with_config(args: argparse.Namespace, workdir: Path) -> None:
    """The app exactly as ``kiosk --config FILE`` builds it, on the demo's services."""
    from kiosk.core import config as configmod
    from kiosk.core.ledger import Ledger, Limits
    from kiosk.screen import startup as screen_main

    cfg = configmod.load(args.config)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    context = screen_main.build_context(cfg, ledger, screen_main.bridge_port(cfg))
    context.health_interval_s = 0.5
    screen_main.register_font()
    screen_main.tune_interpreter()
    from kiosk.screen.ui.app import KioskApp

    app = KioskApp(context)
    driver = Driver(app, workdir, args.size, args.lang)
    result = run_app(app, driver, args.scenario)
    report = driver.report | {"error": result.get("error")}
    columns = ("id", "state", "amount_cents", "project_id")
    report["donations"] = [dict(zip(columns, row, strict=True)) for row in ledger.db.conn.execute(
        f"SELECT {', '.join(columns)} FROM donations ORDER BY seq")]
    (workdir / "report.json").write_text(json.dumps(report, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--scenario", default="approved")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--lang", default="fr")
    parser.add_argument("--no-receipt-key", action="store_true")
    parser.add_argument("--rotation", type=int, default=0,
                        help="the display turned by this many degrees (screen.rotation)")
    parser.add_argument("--refuse-counts", action="store_true",
                        help="the ledger's engagement table refuses every write (a trigger)")
    parser.add_argument("--config", type=Path, default=None,
                        help="run the app as `kiosk --config FILE` builds it (the demo's "
                             "services must be running); the ledger is the config's")
    parser.add_argument("--port", choices=("bridge", "scripted"), default="bridge",
                        help="bridge: the real simulator and bridge service; scripted: the "
                             "stand-in, only for a cancel tapped while the bridge is still "
                             "connecting (see tests/screen_fixtures.py)")
    args = parser.parse_args(argv)
    workdir: Path = args.workdir
    configure_window(workdir, *(int(v) for v in args.size.split("x")), args.rotation)

    from kiosk.payment.client import BridgeClient
    from kiosk.payment.port import BridgePort
    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font, tune_interpreter
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.helpers.real_bridge import start_bridge
    from tests.screen.screen_fixtures import ScriptedPort, make_projects, open_ledger

    if args.config is not None:
        run_with_config(args, workdir)
        return 0
    ledger = open_ledger(workdir / "data" / "kiosk.db")
    if args.refuse_counts:  # as a broken or full table would: every count fails
        conn = sqlite3.connect(workdir / "data" / "kiosk.db")
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON engagement_counts"
                     " BEGIN SELECT RAISE(ABORT, 'no counting'); END")
        conn.commit()
        conn.close()
    if args.scenario in ("locked", "choose"):  # also: the central API unreachable for a while
        ledger.set_service_status("sync", {"online": False, "last_error": "timed out"})
    if not args.no_receipt_key:
        ledger.set_setting("receipt_key", RECEIPT_KEY)
    bridge = None
    if args.port == "bridge":
        bridge = start_bridge(Path(tempfile.mkdtemp(prefix="ks-")),
                              SIM_SCRIPTS[args.scenario], card_wait_s=1.5,
                              unplugged=args.scenario == "unavailable")
        port = BridgePort(BridgeClient(bridge.socket_path, timeout_s=2, pay_timeout_s=10))
        if args.scenario == "recover":
            # The kiosk crashed after the terminal approved: pending in the ledger only.
            left = ledger.create_pending("proj-1", 700, "EUR")
            paid = BridgeClient(bridge.socket_path, pay_timeout_s=10).pay(left.id, 700, "EUR")
            assert paid.status == "approved", paid
    else:
        outcome = {"unavailable": "approved"}.get(args.scenario, args.scenario)
        port = ScriptedPort(outcome=outcome, card_wait_s=0.6,
                            connect_wait_s=3.0 if args.scenario == "cancelled" else 0.0,
                            connected=args.scenario != "unavailable",
                            record=workdir / "acquirer.jsonl")
    settings = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                            custom_max_cents=15000, idle_timeout_s=30, payment_timeout_s=60)
    projects = make_projects(workdir / "photos")
    if args.scenario == "choose":  # proj-4: 3 € from its goal, 47 donors so far
        projects[3] = dataclasses.replace(projects[3], raised_cents=projects[3].goal_cents - 300,
                                          supporters=47)
    if args.scenario == "slow-photo":
        never = workdir / "photos" / "never.jpg"
        os.mkfifo(never)
        projects[0] = dataclasses.replace(projects[0], image_path=never)
    context = KioskContext(flow_settings=settings,
                           projects=projects, ledger=ledger, port=port,
                           device_id="kiosk-test-01", receipt_base_url="http://127.0.0.1:9/api",
                           language=args.lang, slide_duration_s=30, health_interval_s=0.5)
    register_font()
    tune_interpreter()
    app = KioskApp(context)
    driver = Driver(app, workdir, args.size + (f"-r{args.rotation}" if args.rotation else ""),
                    args.lang, fault_on_cue(args.scenario, bridge) if bridge else None)
    if args.scenario == "recover":
        driver.report["recover_id"] = left.id
    result = run_app(app, driver, args.scenario)
    report = driver.report
    report["error"] = result.get("error")
    columns = ("id", "state", "amount_cents", "project_id", "auth_code", "card_suffix", "reason")
    report["donations"] = [dict(zip(columns, row, strict=True)) for row in ledger.db.conn.execute(
        f"SELECT {', '.join(columns)} FROM donations ORDER BY seq")]
    if bridge is not None:
        bridge.stop()
        report["journal"] = journal_rows(bridge.journal_path)
        report["acquirer"] = read_jsonl(bridge.record_path)
        shutil.rmtree(bridge.socket_path.parent, ignore_errors=True)
    else:
        report["pay_calls"], report["cancel_calls"] = port.pay_calls, port.cancel_calls
        report["acquirer"] = read_jsonl(workdir / "acquirer.jsonl")
    report["kiosk_status"] = ledger.service_status().get("kiosk")
    report["engagement"] = engagement_by_project(ledger)
    (workdir / "report.json").write_text(json.dumps(report, indent=2))
    return 0 if report["error"] is None else 1


def engagement_by_project(ledger: Any) -> dict[str, int]:
    """The ledger's engagement counts as ``"project counter": count``, hours added up."""
    totals: dict[str, int] = {}
    for (_hour, project, counter), n in ledger.engagement_totals().items():
        totals[f"{project} {counter}"] = totals.get(f"{project} {counter}", 0) + n
    return totals


if __name__ == "__main__":
    sys.exit(main())
