"""Start the touchscreen app: ``kiosk --config FILE``.

Opens the ledger and the catalog, locks the window down, and pings the systemd watchdog from
the Kivy clock (so a frozen UI thread stops the pings and systemd restarts the screen).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.assets import FONTS_DIR
from kiosk.core.config import Config
from kiosk.screen.donation_flow import FlowSettings

if TYPE_CHECKING:
    from types import FrameType

    from kiosk.core.catalog import Project
    from kiosk.core.ledger import Ledger
    from kiosk.payment.port import BridgePort
    from kiosk.payment.runner import PaymentPort
    from kiosk.screen.health import Health
    from kiosk.screen.ui.app import KioskApp, KioskContext

    # What the first frame shows: (version key, featured projects, language).
    FirstReads = tuple[str, list[Project], str]

log = logging.getLogger("kiosk.screen")
WATCHDOG_PING_S = 5.0


def register_font() -> None:
    """DejaVu Sans (full French coverage, bundled) becomes Kivy's default font."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, str(FONTS_DIR / "DejaVuSans.ttf"),
                       fn_bold=str(FONTS_DIR / "DejaVuSans-Bold.ttf"))


def bridge_port(cfg: Config) -> BridgePort:
    """The payment port over the bridge socket (the screen's only way to the terminal)."""
    from kiosk.payment import port as adapter

    return adapter.from_config(cfg)


def build_context(cfg: Config, ledger: Ledger, port: PaymentPort | None,
                  reads: FirstReads | None = None) -> KioskContext:
    """``reads``: :func:`first_reads` already done (on the start-up thread); None: read now."""
    from kiosk.owner.options import OwnerOptions
    from kiosk.screen.ui.app import KioskContext

    version, projects, language = reads or first_reads(cfg, ledger)
    return KioskContext(flow_settings=FlowSettings.from_config(cfg), projects=projects,
                        ledger=ledger, port=port, device_id=cfg.device.id,
                        receipt_base_url=cfg.receipt_base_url, language=language,
                        slide_duration_s=cfg.screen.slide_duration_s,
                        owner=OwnerOptions.from_config(cfg), projects_version=version,
                        projects_source=lambda: load_projects(ledger, cfg.data_dir,
                                                              cfg.screen.max_featured))


def first_reads(cfg: Config, ledger: Ledger) -> FirstReads:
    """What the first frame shows from the ledger: the featured projects (with their version
    key) and the screen's language (the owner's choice, else the configuration's)."""
    version, projects = load_projects(ledger, cfg.data_dir, cfg.screen.max_featured)
    return version, projects, ledger.get_setting("language") or cfg.screen.language


def load_projects(ledger: Ledger, data_dir: Path, limit: int) -> tuple[str, list[Project]]:
    """The featured projects and a key that changes when they do (a new catalog from
    kiosk-sync, or the owner's new choice). Runs on the screen's I/O thread."""
    from kiosk.core import catalog

    if not _has_catalog(ledger):
        return "none", []
    cat = catalog.load(ledger.db, data_dir)
    projects = catalog.featured(ledger.db, cat, limit)
    return f"{cat.source}:{cat.version}:{','.join(p.id for p in projects)}", projects


def _has_catalog(ledger: Ledger) -> bool:
    from kiosk.core import catalog

    try:
        return ledger.has_cached_catalog() or catalog.DEMO_CATALOG.exists()
    except Exception:  # noqa: BLE001
        return False


def start_first_reads(cfg: Config, ledger: Ledger, port: PaymentPort | None,
                      settings: FlowSettings) -> tuple[Future[FirstReads], Future[Health]]:
    """:func:`first_reads`, then the first health check (``kiosk.screen.health.first_check``), on a
    thread of their own while Kivy starts: mostly waiting on the disk and the bridge's socket.
    One after the other on the ledger's connection, which nothing else uses until the app runs
    (the app waits for both; every later check runs on its I/O thread)."""
    from kiosk.screen.health import first_check

    pool = ThreadPoolExecutor(1, thread_name_prefix="kiosk-start")
    reads = pool.submit(first_reads, cfg, ledger)
    health = pool.submit(first_check, ledger, port, settings.smallest_amount_cents)
    pool.shutdown(wait=False)
    return reads, health


def tune_interpreter() -> None:
    """Interpreter-wide settings for the screen process, set once before the app is built
    (never in a constructor: they would change every other app or test in the interpreter).

    The UI thread hands the GIL over within 1 ms (default 5 ms), so the payment worker reaches
    the ledger and the bridge quickly after a tap (tap -> terminal latency)."""
    sys.setswitchinterval(0.001)


def seconds_since_process_start() -> float | None:
    """How long this process has been running, from the kernel's start time (Linux)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError):
        return None


def start_watchdog(app: KioskApp) -> None:
    """READY=1 once the first screen is shown whole (the app's ``on_shown``), then WATCHDOG=1
    from the Kivy clock: if the UI thread freezes, the pings stop and systemd restarts the
    screen."""
    from kivy.clock import Clock

    from firmware_bridge import systemd_notify

    def shown(*_args: Any) -> None:
        up = seconds_since_process_start()
        health = app.health
        state = ("giving available" if health and health.available else
                 f"giving unavailable: {health.reason if health else 'not checked yet'}")
        log.info("screen shown %s after the process started (%s)",
                 f"{up:.2f} s" if up is not None else "(time unknown)", state)
        systemd_notify.ready("kiosk screen shown")

    app.bind(on_shown=shown)
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    # Half the unit's WatchdogSec when systemd says it (WATCHDOG_USEC), never rarer than 5 s.
    interval = min(WATCHDOG_PING_S, systemd_notify.watchdog_interval_s() or WATCHDOG_PING_S)
    Clock.schedule_interval(lambda _dt: systemd_notify.watchdog(), interval)


def stop_on_signals(app: KioskApp) -> None:
    """SIGTERM (systemd) and SIGINT (Ctrl-C) stop the app cleanly from the Kivy clock."""
    import signal

    from kivy.clock import Clock

    def handler(_signum: int, _frame: FrameType | None) -> None:
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run(cfg: Config, *, size: tuple[int, int] | None = None, dev_mouse: bool = False) -> int:
    # To stderr, which systemd sends to the journal; Kivy logs through Python's logging too.
    logging.basicConfig(level=logging.INFO, format="kiosk: %(levelname)s %(name)s: %(message)s")
    from kiosk.screen.ui import hardening

    hardening.prepare_environment(cfg.data_dir / "kivy-home")
    hardening.apply_config(width=(size or (800, 480))[0], height=(size or (800, 480))[1],
                           fullscreen=cfg.screen.fullscreen and size is None,
                           rotation=cfg.screen.rotation, invert_x=cfg.screen.invert_touch_x,
                           invert_y=cfg.screen.invert_touch_y, dev_mouse=dev_mouse)
    from kiosk.screen.ui import kv_cache

    # Before anything imports kivy.lang, whose first import parses Kivy's own style.kv
    # (60-120 ms a start on the test machine): that parse is kept across starts too.
    kv_cache.keep_kivy_style(cfg.data_dir / "screen-cache" / "kv")
    from kiosk.core.ledger import Ledger, LedgerError, Limits

    try:
        ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        print(f"the ledger cannot be opened, the kiosk stays out of service: {e}",
              file=sys.stderr)
        return 1
    port = bridge_port(cfg)
    reads, first_health = start_first_reads(cfg, ledger, port, FlowSettings.from_config(cfg))
    register_font()
    tune_interpreter()
    # Kivy runs a full collection as it creates its graphics context (with the window, when
    # the app module is imported); everything imported so far lives as long as the process:
    # out of the collector's sight, that collection takes ~10 ms instead of ~35 ms.
    gc.freeze()
    from kiosk.screen.ui.app import KioskApp

    context = build_context(cfg, ledger, port, reads.result())
    context.first_health = first_health
    context.first_photo_cache = cfg.data_dir / "screen-cache" / "first-photo.rgb"
    app = KioskApp(context)
    hardening.lock_window(app, dev_mouse=dev_mouse)
    start_watchdog(app)
    stop_on_signals(app)
    # ``kiosk.screen.cli`` turned the cyclic collector off for the start-up: on again once the
    # first screen is shown (what the start-up made since the freeze is then collected as
    # usual; the few hundred unreachable objects frozen with the imports stay, once).
    app.bind(on_shown=lambda *_a: gc.enable())
    try:
        app.run()
    finally:
        gc.enable()
    ledger.close()
    return 0
