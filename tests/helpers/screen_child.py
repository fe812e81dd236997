"""A screen scenario in its own process (Kivy has one Window per process).

The test calls :func:`screen_child_report`, which starts ``python -m MODULE`` and reads the
report the child wrote; the module's ``main`` calls :func:`run_screen_child` with its steps,
which builds the real app on a real ledger, the real bridge and its terminal simulator, in an
offscreen window, and plays the steps with real touches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.helpers.screenshots import keep_screenshots

if TYPE_CHECKING:
    from kiosk.core.catalog import Project
    from kiosk.core.ledger import Ledger
    from kiosk.owner.options import OwnerOptions
    from tests.screen.ui_driver import Driver

ROOT = Path(__file__).resolve().parents[2]


def child_report(module: str, workdir: Path, *args: str,
                 timeout_s: float = 120) -> dict[str, Any]:
    """Run ``python -m module *args`` with no display; the report it wrote in ``workdir``,
    once it ran without error."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    report_path = workdir / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    return report


def run_and_report(app: Any, report: dict[str, Any], workdir: Path) -> int:
    """The child's side of :func:`child_report`: run ``app``, then write ``report`` to
    WORKDIR/report.json, with the app's error if it raised one."""
    try:
        app.run()
    except Exception as e:  # noqa: BLE001 - reported to the test with its message
        report["error"] = repr(e)
    (workdir / "report.json").write_text(json.dumps(report))
    return 0


def screen_child_report(module: str, workdir: Path, size: str, lang: str,
                        timeout_s: float = 120) -> dict[str, Any]:
    """Run ``module``'s scenario at ``size`` in ``lang``; its report, once it ran without
    error (its screenshots kept as tests/helpers/screenshots.py says)."""
    report = child_report(module, workdir, "--size", size, "--workdir", str(workdir),
                          "--lang", lang, timeout_s=timeout_s)
    keep_screenshots(report["shots"].values())
    return report


def run_screen_child(argv: list[str] | None, steps: Callable[[Driver], Iterator[Any]], *,
                     projects: Callable[[list[Project]], list[Project]],
                     prepare: Callable[[Ledger, Path], None] | None = None,
                     owner: Callable[[Path], OwnerOptions] | None = None,
                     more_report: Callable[[Ledger], dict[str, Any]] | None = None) -> int:
    """The child's side: ``projects`` turns the test projects into the scenario's,
    ``prepare`` sets up the ledger (in the data directory) before the app starts, ``owner``
    gives the owner's options, ``more_report`` adds to the report once the app stopped."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--lang", default="fr")
    args = parser.parse_args(argv)
    from tests.screen.ui_driver import configure_window

    # Before Kivy is imported anywhere: the window's size and home are read at import.
    configure_window(args.workdir, *(int(v) for v in args.size.split("x")))
    from kivy.clock import Clock

    from kiosk.payment.client import BridgeClient
    from kiosk.payment.port import BridgePort
    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font, tune_interpreter
    from kiosk.screen.ui import hardening
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.helpers.real_bridge import start_bridge
    from tests.screen.screen_fixtures import make_projects, open_ledger
    from tests.screen.ui_driver import RECEIPT_KEY, Driver, run_steps

    data_dir = args.workdir / "data"
    ledger = open_ledger(data_dir / "kiosk.db")
    ledger.set_setting("receipt_key", RECEIPT_KEY)
    if prepare is not None:
        prepare(ledger, data_dir)
    # A short directory: the bridge's Unix socket path must stay under 108 bytes.
    bridge = start_bridge(Path(tempfile.mkdtemp(prefix="ks-")), "approve:0.8", card_wait_s=1.5)
    port = BridgePort(BridgeClient(bridge.socket_path, timeout_s=2, pay_timeout_s=10))
    settings = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                            custom_max_cents=15000, idle_timeout_s=30, payment_timeout_s=60)
    context = KioskContext(flow_settings=settings,
                           projects=projects(make_projects(args.workdir / "photos")),
                           ledger=ledger, port=port, device_id="kiosk-test-01",
                           receipt_base_url="http://127.0.0.1:9/api", language=args.lang,
                           slide_duration_s=30, health_interval_s=0.5, count_flush_s=0.5,
                           owner=owner(data_dir) if owner is not None else None)
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
    if more_report is not None:
        report |= more_report(ledger)
    bridge.stop()
    (args.workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return 0 if report["error"] is None else 1
