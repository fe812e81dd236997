"""The screen side of appliance_budget, a process of its own inside the budget:
``python -m tests.benchmarks._budget_screen WORKDIR CONFIG DONATIONS ATTRACT_S SLIDE_S``.

The real kiosk app on the enrolled kiosk's configuration and ledger (its photos are the
catalog kiosk-sync pulled), built as ``kiosk`` builds it; the bridge and the terminal
simulator in a child process (so inside the budget too). Prints ``{"ready": true}`` once giving
is available, waits for WORKDIR/go, then records the Kivy clock's frame times on the attract
loop for ATTRACT_S seconds (a slide every SLIDE_S), then a scripted donor taps through
DONATIONS donations (tap → ENQ seen by the simulator). Writes its figures to
WORKDIR/result.json at the end.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.benchmarks._screen_child import (
    EnqLog,
    donor_steps,
    emit,
    run_steps,
    setup_kivy,
    start_bridge_host,
)

# Every other donation's amount is tapped a human reaction after its screen is shown (a donor
# taps a button they have seen: ~0.25 s is a quick visual reaction); the others in the very
# next frame, while the new screen is still being drawn: the worst case, reported apart.
REACTIONS_S = (0.0, 0.3)


def vm_hwm_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class StageClock:
    """Measurement hooks on the tap's path, for the breakdown of each tap → ENQ: when the
    ledger's pending commit starts, holds the write lock and ends (I/O thread), and when the
    request leaves for the bridge. ``marks`` holds one (commit start, lock taken, commit end,
    request sent) per donation."""

    def __init__(self, ledger: Any, port: Any) -> None:
        from kiosk.core import db

        self.marks: list[tuple[float, float, float, float]] = []
        self._commit: tuple[float, float, float] = (0.0, 0.0, 0.0)
        # Per thread: another thread's transaction (the side thread's) must not set the time
        # the payment's commit took the lock.
        self._locked = threading.local()
        create_pending, pay, enter = ledger.create_pending, port.pay, db.immediate.__enter__

        def timed_enter(transaction: Any) -> Any:
            conn = enter(transaction)
            self._locked.at = time.perf_counter()
            return conn

        def timed_create_pending(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return create_pending(*args, **kwargs)
            finally:
                self._commit = (start, self._locked.at, time.perf_counter())

        def timed_pay(*args: Any, **kwargs: Any) -> Any:
            self.marks.append((*self._commit, time.perf_counter()))
            return pay(*args, **kwargs)

        ledger.create_pending, port.pay = timed_create_pending, timed_pay
        db.immediate.__enter__ = timed_enter


def budget_steps(app: Any, go: Path, attract_s: float, frames: list[float],
                 donor: Any) -> Any:
    phase = {"attract": False}

    def record(dt: float) -> None:
        if phase["attract"]:
            frames.append(dt)

    yield next(donor)  # giving available
    emit({"ready": True})
    yield lambda: go.exists()
    from kivy.clock import Clock

    Clock.schedule_interval(record, 0)  # called once per frame with the frame's duration
    phase["attract"] = True
    end = time.monotonic() + attract_s
    yield lambda: time.monotonic() >= end
    phase["attract"] = False
    yield from donor


def main(argv: list[str]) -> None:
    workdir, config = Path(argv[0]), Path(argv[1])
    donations, attract_s, slide_s = int(argv[2]), float(argv[3]), float(argv[4])
    from kiosk.core.config import load
    from kiosk.core.ledger import Ledger, Limits
    from kiosk.payment.client import BridgeClient
    from kiosk.payment.port import BridgePort
    from kiosk.screen.startup import build_context, register_font, tune_interpreter

    host, socket_path = start_bridge_host(workdir)
    cfg = load(config)
    setup_kivy(workdir)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    context = build_context(cfg, ledger, BridgePort(BridgeClient(socket_path)))
    # Open around the clock (opening = closing time): a run at night must not meet the idle
    # screen shown outside opening hours.
    owner = dataclasses.replace(context.owner, opening_time="00:00", closing_time="00:00")
    context = dataclasses.replace(context, slide_duration_s=slide_s, health_interval_s=5,
                                  owner=owner)
    register_font()
    tune_interpreter()
    from kiosk.screen.ui.app import KioskApp

    stages = StageClock(context.ledger, context.port)
    app = KioskApp(context)
    enq = EnqLog(workdir)
    frames: list[float] = []
    taps: list[tuple[int, float]] = []
    run_steps(app, budget_steps(app, workdir / "go", attract_s, frames,
                                donor_steps(app, donations, enq, taps, REACTIONS_S)))
    tap_s = [enq.after(before) - t0 for before, t0 in taps]
    # Per tap: to the commit's start (the I/O thread picks the request up), the wait for the
    # write lock, the transaction, to the request leaving for the bridge, and from there to
    # the terminal's ENQ.
    stage_s = [[start - t0, locked - start, end - locked, sent - end, enq.after(before) - sent]
               for (before, t0), (start, locked, end, sent)
               in zip(taps, stages.marks, strict=True)]
    bridge_hwm = vm_hwm_mb(host.pid)
    host.stdin.close()
    host.wait(timeout=10)
    lock_waits = [(start, locked) for start, locked, _end, _sent in stages.marks]
    # To a file: a few hundred kB, more than a pipe holds while the parent waits for the exit.
    (workdir / "result.json").write_text(json.dumps({
        "frames_s": frames, "tap_s": tap_s, "stage_s": stage_s, "lock_waits": lock_waits,
        "bridge_peak_rss_mb": bridge_hwm,
        "screen_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "screen_cpu_s": time.process_time()}))


if __name__ == "__main__":
    main(sys.argv[1:])
