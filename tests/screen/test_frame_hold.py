"""No frame is drawn while a donor's request is on its way to the terminal, for a few frames at
most (kiosk.screen.payment_hold, issue 17): the real app in an offscreen window, its real
frames counted, a tap on an amount held at the bridge until the test lets it through.

``python -m tests.screen.test_frame_hold WORKDIR`` is the real app's side (one Kivy window per
process); it writes WORKDIR/report.json."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.payment.client import BridgeOutcome
from tests.helpers.screen_child import child_report, run_and_report
from tests.screen.screen_fixtures import FakeClock, ScriptedPort


def test_the_pressed_frame_waits_for_the_request_or_the_hold_to_end(tmp_path):
    report = child_report("tests.screen.test_frame_hold", tmp_path, str(tmp_path))
    # The hold's clock stood still: 0.3 s of frames went by and none was drawn, though the
    # pressed button waited to be drawn.
    assert report["connecting"] == {"flips": 0, "needs_redraw": True}, report
    # The hold ran out (its clock moved on) with the request still on its way: drawn.
    assert report["hold_ran_out"]["flips"] >= 1, report
    # Second donation: nothing drawn until the terminal had the request, then drawn at once.
    assert report["second_connecting"]["flips"] == 0, report
    assert report["at_terminal"]["flips"] >= 1, report
    assert report["outcomes"] == ["approved", "approved"], report


class GatedPort(ScriptedPort):
    """A bridge whose request waits at ``connecting`` until :meth:`let_through`."""

    def __init__(self) -> None:
        super().__init__(card_wait_s=0.05)
        self.gate = threading.Event()

    def pay(self, reference: str, amount_cents: int, currency: str,
            on_progress: Callable[[str, bool], None]) -> BridgeOutcome:
        on_progress("connecting", True)
        self.gate.wait(30)
        self.gate.clear()
        return super().pay(reference, amount_cents, currency, on_progress)

    def let_through(self) -> None:
        self.gate.set()


def main(workdir: Path) -> int:
    from tests.screen.ui_driver import configure_window

    configure_window(workdir, 800, 480)
    from kivy.core.window import Window

    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.payment_hold import FRAME_HOLD_S, PaymentHold
    from kiosk.screen.startup import register_font
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.screen.screen_fixtures import make_projects, open_ledger
    from tests.screen.ui_driver import run_steps, tap

    settings = FlowSettings(preset_amounts_cents=(200, 500), custom_min_cents=100,
                            custom_max_cents=15000)
    register_font()
    port, clock = GatedPort(), FakeClock()
    app = KioskApp(KioskContext(flow_settings=settings,
                                projects=make_projects(workdir / "photos", 2, (640, 400)),
                                ledger=open_ledger(workdir / "data" / "kiosk.db"),
                                port=port, device_id="hold", receipt_base_url="x",
                                slide_duration_s=60))
    app.payment_hold = PaymentHold(clock)
    report: dict[str, Any] = {"error": None, "outcomes": []}
    flips = {"n": 0}

    def flipped(*_args: Any) -> None:
        flips["n"] += 1

    Window.bind(on_flip=flipped)  # before the app's: only frames really drawn are counted

    def seen(name: str) -> None:
        report[name] = {"flips": flips["n"], "needs_redraw": Window.canvas.needs_redraw}

    def idle() -> bool:
        return not app.manager.transition.is_active

    def steps() -> Any:
        yield lambda: app.available
        for n in range(2):
            tap(app.screen("attract").ids.give)
            yield lambda: app.step == "amount" and idle()
            yield 0.3  # the amount screen drawn
            tap(list(reversed(app.screen("amount").ids.presets.children))[0])
            flips["n"] = 0
            yield 0.3
            seen("connecting" if n == 0 else "second_connecting")
            flips["n"] = 0
            if n == 0:
                clock.now += FRAME_HOLD_S  # the hold runs out, the request still on its way
                yield 0.3
                seen("hold_ran_out")
                port.let_through()
            else:
                port.let_through()
                yield 0.3
                seen("at_terminal")
            yield lambda: app.step == "thanks" and idle()
            report["outcomes"].append(app.outcome)
            tap(app.screen("thanks").ids.done)
            yield lambda: app.step == "attract" and idle()

    def done(error: str | None) -> None:
        report["error"] = error
        app.stop()

    app.bind(on_shown=lambda *_a: run_steps(app, steps(), 20.0, done))
    return run_and_report(app, report, workdir)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
