"""The cyclic collector during the screen's start-up (kiosk.screen.cli, kiosk.screen.startup):
off from the entry point to the first screen shown, the imports frozen out of its sight
before Kivy's own full collection (at its graphics context), and on again once the screen is
shown. The real ``kiosk --config FILE`` entry point on the demo catalog, in a process of its
own; systemd's READY=1 is observed by wrapping the notifier (it still runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from kiosk.ops import demo

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import gc, json, sys
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and collections.append(info))
    from firmware_bridge import systemd_notify
    notify = systemd_notify.ready

    def ready(status=""):
        seen = {"collections": len(collections), "frozen": gc.get_freeze_count()}
        from kivy.app import App
        from kivy.clock import Clock

        def later(_dt):
            seen["enabled_after"] = gc.isenabled()
            print(json.dumps(seen), flush=True)
            App.get_running_app().stop()

        Clock.schedule_once(later, 0.5)
        return notify(status)

    systemd_notify.ready = ready
    from kiosk.screen.cli import main
    sys.exit(main(["--config", sys.argv[1]]))
""")


def test_the_collector_is_off_during_start_up_and_on_once_the_screen_is_shown(tmp_path):
    config = demo.write_demo_config(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(config)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    seen = json.loads(lines[-1])
    # With the collector on, ~100 collections ran before the first frame; off, only the
    # explicit ones (Kivy's at its graphics context) remain.
    assert seen["collections"] <= 5, seen
    assert seen["frozen"] > 10_000, seen  # the imports, frozen before the window
    assert seen["enabled_after"] is True, seen
