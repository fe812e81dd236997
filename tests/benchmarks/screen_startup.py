"""Start-up: from spawning the real ``kiosk --config FILE`` (the bundled demo catalog, a data
dir of its own, no terminal) to its READY=1 on a real sd_notify socket, which the screen sends
once its first attract frame, photo included, is drawn; against a bare Kivy hello-world
(_hello.py, run as a script: Kivy alone, nothing of the project or the test suite imported)
spawned and timed the same way (READY=1 after its first frame is drawn). 5 runs each,
alternated: a restart (the first slide's photo kept scaled from the run before, as on any
start with an unchanged catalog), and a start with that photo to decode (a new catalog).
Goal (issue 17): ≤ 1.2× for both.

The project's modules are compiled to bytecode first, as in a release (pip compiles a wheel's
files when it installs it; Kivy's own files were compiled the same way)."""

from __future__ import annotations

import compileall
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.ops import demo
from tests.appliance.notify_socket import NotifySocket
from tests.benchmarks._screen_run import ROOT, hello_argv
from tests.benchmarks._table import median, p95, print_table

RUNS = 5
GOAL = "<= 1.2"  # issue 17, for both the restart and the first start
KIOSK = Path(sys.executable).parent / "kiosk"  # the console script a device runs


def time_to_ready(argv: list[str], workdir: Path) -> float:
    """Seconds from spawn to READY=1; the process is then stopped with SIGTERM."""
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="n-", dir="/tmp")) / "notify")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT),
               NOTIFY_SOCKET=str(notify.path))
    log = (workdir / "process.log").open("w")
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            ready = notify.wait_for("READY=1", timeout=120)[0]
        except AssertionError:
            raise RuntimeError(f"{argv} never said READY=1:\n"
                               f"{(workdir / 'process.log').read_text()[-3000:]}") from None
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=30) != 0:
            raise RuntimeError(f"{argv} failed on SIGTERM:\n"
                               f"{(workdir / 'process.log').read_text()[-3000:]}")
        return ready - t0
    finally:
        log.close()
        notify.close()


def main() -> None:
    for package in ("kiosk", "firmware_bridge", "central", "tests"):
        compileall.compile_dir(ROOT / package, quiet=1)
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    config = demo.write_demo_config(workdir)  # the demo's catalog and settings, as tried
    hello = hello_argv(workdir / "hello", "ready")
    kiosk_argv = [str(KIOSK), "--config", str(config)]
    first_photo = workdir / "data" / "screen-cache" / "first-photo.rgb"
    time_to_ready(kiosk_argv, workdir)  # the ledger's migrations, once
    hello_ms: list[float] = []
    restart: list[float] = []
    cold: list[float] = []
    for _ in range(RUNS):
        hello_ms.append(time_to_ready(hello, workdir) * 1000)
        restart.append(time_to_ready(kiosk_argv, workdir) * 1000)
        first_photo.unlink()  # as after a new catalog: the first photo is decoded again
        cold.append(time_to_ready(kiosk_argv, workdir) * 1000)
    print_table(
        ["app", "runs", "median ms", "p95 ms", "median ratio", "goal"],
        [["bare Kivy hello-world", RUNS, median(hello_ms), p95(hello_ms), 1.0, ""],
         ["kiosk, first attract frame", RUNS, median(restart), p95(restart),
          median(restart) / median(hello_ms), GOAL],
         ["kiosk, first photo not cached", RUNS, median(cold), p95(cold),
          median(cold) / median(hello_ms), GOAL]])


if __name__ == "__main__":
    main()
