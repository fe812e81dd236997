"""The screen's start-up through the real ``kiosk --config FILE`` entry point (the demo catalog,
no bridge), in a process of its own; systemd's READY=1 is observed by wrapping the notifier
(it still runs):

- the cyclic collector is off from the entry point to the first screen shown, the imports
  frozen out of its sight before Kivy's own full collection (at its graphics context), and on
  again once the screen is shown (kiosk.screen.cli, kiosk.screen.startup);
- a restart draws, from the kept .kv parses and the kept first photo (screen-cache/), the same
  first frame as the first start drew from a fresh parse and a decoded photo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from kiosk.ops import demo
from tests.helpers.screenshots import keep_screenshots

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import gc, json, sys
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and collections.append(info))
    from firmware_bridge import systemd_notify
    notify = systemd_notify.ready

    def ready(status=""):
        from kivy.app import App
        from kivy.clock import Clock
        from kivy.core.window import Window

        seen = {"collections": len(collections), "frozen": gc.get_freeze_count(),
                "modules": sorted(m for m in sys.modules if m.startswith("kiosk"))}
        slide = App.get_running_app().screen("attract").ids.slides.current_screen
        photo = slide.ids.photo
        seen["photo_box"] = [*photo.to_window(*photo.pos), *photo.size, *Window.size]
        Window.screenshot(sys.argv[2])  # the frame READY=1 stands for (Kivy numbers the file)

        def later(_dt):
            seen["enabled_after"] = gc.isenabled()
            print(json.dumps(seen), flush=True)
            App.get_running_app().stop()

        Clock.schedule_once(later, 0.5)
        return notify(status)

    systemd_notify.ready = ready
    from kiosk.screen.cli import main
    sys.exit(main(["--config", sys.argv[1], *sys.argv[3:]]))
""")


def start_screen(tmp_path: Path, config: Path, shot: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(config), str(shot), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    produced = sorted(shot.parent.glob(shot.stem + "*.png"))[-1]
    produced.rename(shot)
    return json.loads(lines[-1])


def test_the_collector_is_off_during_start_up_and_on_once_the_screen_is_shown(tmp_path):
    config = demo.write_demo_config(tmp_path)
    seen = start_screen(tmp_path, config, tmp_path / "first-frame.png")
    # With the collector on, ~100 collections ran before the first frame; off, only the
    # explicit ones (Kivy's at its graphics context) remain.
    assert seen["collections"] <= 5, seen
    assert seen["frozen"] > 10_000, seen  # the imports, frozen before the window
    assert seen["enabled_after"] is True, seen
    # What the first frame does not need waits until it is shown (or a first use).
    assert "kiosk.screen.ui.app" in seen["modules"]
    for later in ("kiosk.owner.pin_lock", "kiosk.screen.ui.owner_panel", "kiosk.core.receipt",
                  "kiosk.screen.ui.screens.amount", "kiosk.screen.ui.screens.payment"):
        assert later not in seen["modules"], later


def distinct_colours_in_photo_box(shot: Path, seen: dict[str, Any]) -> int:
    """Colours in the screenshot where the first slide's photo is: one flat colour is the
    placeholder drawn while the photo is missing."""
    x, y, width, height, _window_width, window_height = (int(v) for v in seen["photo_box"])
    with Image.open(shot) as image:
        top = window_height - (y + height)  # Kivy counts from the bottom, the image the top
        box = image.convert("RGB").crop((x + 2, top + 2, x + width - 2, top + height - 2))
        return len(box.getcolors(maxcolors=1 << 20))


@pytest.mark.parametrize("size", ["800x480", "720x1280", "1920x1080"])
def test_a_restart_draws_the_first_frame_of_a_first_start_from_what_it_kept(tmp_path, size):
    config = demo.write_demo_config(tmp_path)
    kept = tmp_path / "data" / "screen-cache"
    first, restart = tmp_path / f"first-start-{size}.png", tmp_path / f"restart-{size}.png"
    seen = start_screen(tmp_path, config, first, "--window", size)
    # READY=1 stands for a frame with the first photo drawn, not its placeholder.
    assert distinct_colours_in_photo_box(first, seen) > 50
    parses = {p.name: p.stat().st_mtime_ns for p in (kept / "kv").glob("*.parsed")}
    assert set(parses) == {"attract.parsed", "widgets.parsed", "kivy-style.parsed"}
    assert (kept / "first-photo.rgb").is_file()
    start_screen(tmp_path, config, restart, "--window", size)
    # Read back, not written again: the restart used the kept parses.
    assert {p.name: p.stat().st_mtime_ns for p in (kept / "kv").glob("*.parsed")} == parses
    keep_screenshots([first, restart], "start-up")
    with Image.open(first) as a, Image.open(restart) as b:
        assert a.size == b.size == tuple(int(v) for v in size.split("x"))
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
