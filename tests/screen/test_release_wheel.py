"""A device runs a release installed from the wheel, not this checkout: everything the screen
reads at run time (its .kv files, fonts, chime, message catalogs, money formats, the bundled
demo catalog and its images) must be in the wheel. The wheel built from this tree, installed
into a directory of its own, runs the real screen (offscreen) on the demo catalog up to its
READY=1, with nothing of the checkout on its path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from kiosk.ops import demo
from tests.appliance.notify_socket import NotifySocket
from tests.appliance.wheels import build_wheel


def test_the_screen_runs_from_the_release_wheel(tmp_path):
    wheel = build_wheel(tmp_path, "0.0.1")
    release = tmp_path / "release"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(release), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    (tmp_path / "device").mkdir()
    config = demo.write_demo_config(tmp_path / "device")
    script = textwrap.dedent(f"""
        import sys
        import kiosk
        assert kiosk.__file__.startswith({str(release)!r}), kiosk.__file__
        from kiosk.core import catalog, money
        from kiosk.screen import startup as screen_main
        from kiosk.screen.ui import app
        for path in (screen_main.FONTS_DIR / "DejaVuSans.ttf", screen_main.FONTS_DIR /
                     "LICENSE-DejaVu.txt", app.SOUNDS_DIR / "thanks.wav",
                     catalog.DEMO_CATALOG, money.FORMATS_FILE):
            assert path.is_file(), f"not in the release: {{path}}"
        from kiosk.screen.cli import main
        sys.exit(main(["--config", {str(config)!r}]))
    """)
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="rw-", dir="/tmp")) / "notify")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    # The release first on the path; run from elsewhere so the checkout is not on it.
    env.update(PYTHONPATH=str(release), SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1",
               NOTIFY_SOCKET=str(notify.path))
    log = tmp_path / "screen.log"
    with log.open("wb") as out:
        screen = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:  # until READY, or the screen exits (a file missing from the release)
            try:
                notify.wait_for("STATUS=kiosk screen shown", timeout=1)
                break
            except AssertionError:
                if screen.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()[-3000:]) from None
        # The first slide's photo came from the release's demo catalog.
        assert (tmp_path / "device" / "data" / "screen-cache" / "first-photo.rgb").is_file()
    finally:
        screen.send_signal(signal.SIGTERM)
        code = screen.wait(timeout=30)
        notify.close()
    assert code == 0, log.read_text()[-3000:]
