"""The measured side of the screen benchmarks, run as its own process (one Kivy window per
process): ``python -m tests.benchmarks._screen_child MODE WORKDIR [options]``.

Modes print one JSON line on stdout:

- ``tap``: N donations tapped through the real app against the real bridge and simulator;
  tap → ENQ seen by the simulator, and the same for a bare BridgeClient.pay (the baseline);
- ``attract`` / ``bare-attract``: CPU seconds used over D seconds by the kiosk's attract loop,
  or by a bare Kivy app sliding the same photos at the same pace;
- ``memory``: resident memory after the attract loop has shown 30 full-HD photos.

The bare Kivy hello-world of the start-up and memory baselines is _hello.py, a script that
imports nothing of the project or of the test suite.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ENQ = 0x05


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def setup_kivy(workdir: Path, size: tuple[int, int] = (800, 480)) -> None:
    from tests.screen.ui_driver import configure_window

    configure_window(workdir, *size)


def kiosk_app(workdir: Path, projects: list, port: Any, slide_s: float = 30.0) -> Any:
    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font, tune_interpreter
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.screen.screen_fixtures import open_ledger

    ledger = open_ledger(workdir / "data" / "kiosk.db")
    settings = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                            custom_max_cents=15000)
    register_font()
    tune_interpreter()  # as `kiosk` does: the tap latency measured is the real one
    return KioskApp(KioskContext(flow_settings=settings, projects=projects, ledger=ledger,
                                 port=port, device_id="bench", receipt_base_url="http://x",
                                 slide_duration_s=slide_s, health_interval_s=5))


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result), flush=True)


# -- tap -> ENQ ----------------------------------------------------------------------------


def run_bridge_host(workdir: Path) -> None:
    """The bridge service and the terminal simulator in their own process, as on a device;
    each ENQ the simulator sees is appended to WORKDIR/enq.txt as a CLOCK_MONOTONIC time
    (time.perf_counter is that clock on Linux, so it compares across processes)."""
    from firmware_bridge.simulator import PtySimulator
    from tests.helpers.real_bridge import start_bridge

    out = (workdir / "enq.txt").open("a", buffering=1)
    original = PtySimulator._read_byte

    def timed_read(self: PtySimulator, timeout: float | None) -> int | None:
        b = original(self, timeout)
        if b == ENQ:
            out.write(f"{time.perf_counter()!r}\n")
        return b

    PtySimulator._read_byte = timed_read  # measurement hook: when the terminal sees ENQ
    bridge = start_bridge(Path(tempfile.mkdtemp(prefix="kb-")), "", card_wait_s=5)
    emit({"socket": str(bridge.socket_path)})
    sys.stdin.read()  # until the parent closes our stdin
    bridge.stop()


class EnqLog:
    """The ENQ times the bridge host appends to WORKDIR/enq.txt."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "enq.txt"

    def times(self) -> list[float]:
        return [float(x) for x in self.path.read_text().split()] if self.path.exists() else []

    def after(self, before: int) -> float:
        """The time of the ENQ that follows the first ``before`` ones."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            times = self.times()
            if len(times) > before:
                return times[before]
            time.sleep(0.001)
        raise TimeoutError("the simulator saw no ENQ")


def start_bridge_host(workdir: Path) -> tuple[Any, str]:
    """The bridge-host process (stopped by closing its stdin) and its socket path."""
    import subprocess

    host = subprocess.Popen([sys.executable, "-m", "tests.benchmarks._screen_child",
                             "bridge-host", str(workdir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return host, json.loads(host.stdout.readline())["socket"]


def donor_steps(app: Any, count: int, enq: EnqLog, taps: list[tuple[int, float]],
                reactions_s: tuple[float, ...] = (0.0,)) -> Any:
    """A generator of waits run on the Kivy clock by :func:`run_steps`: ``count`` donations
    tapped through (give, the second amount, done), each amount tap recorded in ``taps`` as
    (ENQs seen before it, its time). Donation n taps its amount ``reactions_s[n % len]``
    seconds after the amount screen is shown (0: in the next frame, before anybody could
    have seen the button)."""
    from tests.screen.ui_driver import tap

    deadline = time.monotonic() + 30

    def available() -> bool:
        if time.monotonic() > deadline:
            raise TimeoutError(f"giving never became available: {app.health}")
        return app.available

    yield available
    for n in range(count):
        tap(app.screen("attract").ids.give)
        yield lambda: app.manager.current == "amount" and not app.manager.transition.is_active
        reaction_ends = time.monotonic() + reactions_s[n % len(reactions_s)]
        yield lambda: time.monotonic() >= reaction_ends  # noqa: B023 - used before the next n
        button = list(reversed(app.screen("amount").ids.presets.children))[1]
        before = len(enq.times())
        t0 = time.perf_counter()
        tap(button)
        taps.append((before, t0))
        yield lambda: app.step == "thanks" and not app.manager.transition.is_active
        tap(app.screen("thanks").ids.done)
        yield lambda: app.step == "attract" and not app.manager.transition.is_active


def run_steps(app: Any, steps: Any) -> None:
    """Run the app, advancing ``steps`` (a generator of waits) each frame; stop at its end."""
    from kivy.clock import Clock

    state = {"wait": next(steps)}

    def advance(_dt: float) -> None:
        if not state["wait"]():
            return
        try:
            state["wait"] = next(steps)
        except StopIteration:
            app.stop()

    Clock.schedule_interval(advance, 0)
    app.run()


def run_tap(workdir: Path, count: int) -> None:
    from kiosk.payment.client import BridgeClient
    from kiosk.payment.port import BridgePort
    from tests.screen.screen_fixtures import make_projects

    host, socket_path = start_bridge_host(workdir)
    enq = EnqLog(workdir)
    baseline: list[float] = []
    client = BridgeClient(socket_path)
    time.sleep(0.3)
    for _ in range(count):
        before = len(enq.times())
        t0 = time.perf_counter()
        client.pay(str(uuid.uuid4()), 500, "EUR")
        baseline.append(enq.after(before) - t0)

    setup_kivy(workdir)
    app = kiosk_app(workdir, make_projects(workdir / "photos", 2),
                    BridgePort(BridgeClient(socket_path)))
    taps: list[tuple[int, float]] = []
    run_steps(app, donor_steps(app, count, enq, taps))
    screen = [enq.after(before) - t0 for before, t0 in taps]
    host.stdin.close()
    host.wait(timeout=10)
    emit({"screen_s": screen, "baseline_s": baseline})


# -- attract loop CPU ----------------------------------------------------------------------


def run_attract(workdir: Path, duration_s: float, slide_s: float, bare: bool) -> None:
    from tests.screen.screen_fixtures import make_projects

    projects = make_projects(workdir / "photos", 6, (1920, 1080))
    setup_kivy(workdir)
    from kivy.clock import Clock

    if bare:
        app = bare_slider([str(p.image_path) for p in projects], slide_s)
    else:
        from tests.screen.screen_fixtures import ScriptedPort

        app = kiosk_app(workdir, projects, ScriptedPort(), slide_s)
    marks: dict[str, float] = {}

    def begin(_dt: float) -> None:
        marks["cpu"], marks["wall"] = time.process_time(), time.perf_counter()
        Clock.schedule_once(end, duration_s)

    def end(_dt: float) -> None:
        pacer = app.frame_pacer
        emit({"cpu_s": time.process_time() - marks["cpu"],
              "wall_s": time.perf_counter() - marks["wall"],
              "paced": f"{pacer.waits} ({pacer.late} late)" if pacer else "no"})
        app.stop()

    Clock.schedule_once(begin, 2.0)  # after start-up, first photos loaded
    app.run()


def bare_slider(paths: list[str], slide_s: float) -> Any:
    """The baseline: plain Kivy, the same photos, the same slide transition and pace."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.image import Image
    from kivy.uix.screenmanager import Screen, ScreenManager, SlideTransition

    class Bare(App):
        def build(self) -> ScreenManager:
            from kivy.core.window import Window

            from kiosk.screen.ui import frame_pacing

            # The kiosk paces its frames (one queued at most), so each is drawn as it is made;
            # an offscreen window's swap does not flush, so unpaced the slider's frames would
            # be drawn only when Mesa's queue fills: paced alike, both draw every frame.
            self.frame_pacer = frame_pacing.install(Window)
            self.sm = ScreenManager(transition=SlideTransition(duration=0.6))
            for i, path in enumerate(paths):
                s = Screen(name=str(i))
                s.add_widget(Image(source=path, fit_mode="contain"))
                self.sm.add_widget(s)
            Clock.schedule_interval(self.next, slide_s)
            return self.sm

        def next(self, _dt: float) -> None:
            self.sm.current = str((int(self.sm.current) + 1) % len(paths))

    return Bare()


# -- memory and start-up ------------------------------------------------------------------------


def run_memory(workdir: Path, projects_count: int) -> None:
    """Resident memory once the attract loop has shown every one of ``projects_count``
    full-HD photos (and two more)."""
    from tests.screen.screen_fixtures import ScriptedPort, make_projects

    # The parent drew the photos; this call reuses them.
    projects = make_projects(workdir / "photos", projects_count, (1920, 1080))
    setup_kivy(workdir)
    from kivy.clock import Clock

    app = kiosk_app(workdir, projects, ScriptedPort(), slide_s=30)
    shown = {"n": 0}

    def cycle(attract: Any) -> bool:
        if attract.ids.slides.transition.is_active:
            return True
        attract.next_slide()
        shown["n"] += 1
        if shown["n"] >= projects_count + 2:
            pacer = app.frame_pacer  # None: the GL context had no fences, frames unpaced
            emit({"rss_mb": rss_mb(), "slides_shown": shown["n"],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "textures_kept": len(attract._textures),
                  "paced": f"{pacer.waits} ({pacer.late} late)" if pacer else "no"})
            app.stop()
            return False
        return True

    def start(*_args: Any) -> None:  # returns None: a true value would stop the event
        Clock.schedule_interval(lambda _dt: cycle(app.screen("attract")), 0.15)

    app.bind(on_shown=start)
    app.run()


def run_bare_memory(workdir: Path, count: int) -> None:
    """The naive way: plain Kivy Image widgets loading every full-HD photo as is."""
    from tests.screen.screen_fixtures import make_projects

    paths = [str(p.image_path) for p in make_projects(workdir / "photos", count, (1920, 1080))]
    setup_kivy(workdir)
    from kivy.clock import Clock

    app = bare_slider(paths, 3600)
    shown = {"n": 0}

    def cycle(_dt: float) -> bool:
        if app.sm.transition.is_active:
            return True
        app.next(0)
        shown["n"] += 1
        if shown["n"] >= count + 2:
            emit({"rss_mb": rss_mb(), "slides_shown": shown["n"],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            app.stop()
            return False
        return True

    Clock.schedule_interval(cycle, 0.15)
    app.run()


def main(argv: list[str]) -> None:
    mode, workdir = argv[0], Path(argv[1])
    workdir.mkdir(parents=True, exist_ok=True)
    if mode == "bridge-host":
        run_bridge_host(workdir)
    elif mode == "tap":
        run_tap(workdir, int(argv[2]))
    elif mode in ("attract", "bare-attract"):
        run_attract(workdir, float(argv[2]), float(argv[3]), bare=mode == "bare-attract")
    elif mode == "memory":
        run_memory(workdir, int(argv[2]))
    elif mode == "bare-memory":
        run_bare_memory(workdir, int(argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
