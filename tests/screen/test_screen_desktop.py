"""The README's demo command as a new user runs it on a desktop: ``kiosk --demo`` on a real X
server (Xvfb), the screen in a real window drawn through GLX and Mesa, clicked with a real
mouse (xdotool, through the X server's XTEST extension), screenshots read back from the X
server, and the window closed as a window manager closes it (WM_DELETE_WINDOW). Also the
locked-down screen on the same X server: closing it and pressing Escape do nothing.

Window coordinates are the 800×480 layout's (the demo's window size): « Je donne », « 5 € »,
« Terminer ». A layout change that moves them fails here, with the screenshots to look at.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

from kiosk.ops import demo
from tests.appliance.notify_socket import NotifySocket
from tests.helpers.screenshots import keep_screenshots
from tests.screen.test_screen_ui import decode_qr

BIN = Path(sys.executable).parent
GIVE, FIVE_EUROS, DONE = (470, 424), (302, 231), (400, 428)


@pytest.fixture
def xserver() -> Iterator[str]:
    """A private X server on the first free display number."""
    number = next(n for n in range(90, 190) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert proc.poll() is None, "Xvfb did not start"
        assert time.monotonic() < deadline, "Xvfb never opened its socket"
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def screen_env(display: str, notify: NotifySocket) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(DISPLAY=display, SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1",
               NOTIFY_SOCKET=str(notify.path))
    env.pop("SDL_VIDEODRIVER", None)  # SDL picks X11, as on a desktop
    return env


def xdotool(display: str, *args: str) -> str:
    out = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def kiosk_window(display: str) -> tuple[str, tuple[int, int, int, int]]:
    def find() -> str | None:  # `search --name` misses SDL's UTF-8 title; getwindowname reads it
        for candidate in xdotool(display, "search", "--classname", ".").split():
            name = subprocess.run(["xdotool", "getwindowname", candidate], text=True,
                                  env={**os.environ, "DISPLAY": display},
                                  capture_output=True, timeout=30).stdout.strip()
            if name == "Kiosk":
                return candidate
        return None

    wid = wait_until("the kiosk's window", find)
    geometry = xdotool(display, "getwindowgeometry", "--shell", wid)
    g = dict(line.split("=", 1) for line in geometry.splitlines())
    return wid, (int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"]))


def click(display: str, wid: str, point: tuple[int, int]) -> None:
    xdotool(display, "mousemove", "--window", wid, str(point[0]), str(point[1]))
    xdotool(display, "click", "1")


def shot(display: str, box: tuple[int, int, int, int], name: str, folder: Path) -> Image.Image:
    x, y, width, height = box
    image = ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=display)
    path = folder / f"desktop-{name}-{width}x{height}-fr.png"
    image.save(path)
    keep_screenshots([path])
    return image


def close_like_a_window_manager(display: str, wid: str) -> None:
    from Xlib import X, protocol
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        window = d.create_resource_object("window", int(wid))
        message = protocol.event.ClientMessage(
            window=window, client_type=d.intern_atom("WM_PROTOCOLS"),
            data=(32, [d.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]))
        window.send_event(message, event_mask=X.NoEventMask)
        # A round trip, not a flush: a client that closes its connection straight after
        # writing loses whatever the X server had not read yet, and a busy Xvfb had not
        # (the close was then never sent, 9 times in 12 with the CPUs busy).
        d.sync()
    finally:
        d.close()


def wait_until(what: str, check, timeout: float = 30.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)
    return result


def donations(ledger: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT id, state, amount_cents FROM donations").fetchall()


def kiosk_row_ok(ledger: Path) -> bool:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT status FROM service_status WHERE service = 'kiosk'"
                           ).fetchone()
    return bool(row) and json.loads(row[0]).get("out_of_service", "?") is None


def start_demo(display: str, notify: NotifySocket,
               processes_output) -> tuple[subprocess.Popen, list[str], Path]:  # noqa: ANN001
    """``kiosk --demo`` on ``display``: the process, its output lines, its data directory."""
    demo_proc = subprocess.Popen([str(BIN / "kiosk"), "--demo"], env=screen_env(display, notify),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = processes_output(demo_proc)
    workdir = Path(wait_until("the demo's data directory", lambda: next(
        (m.group(1) for line in list(lines) if (m := re.match(
            r"demo data directory: (\S+)", line))), None)))
    return demo_proc, lines, workdir


def still_running(workdir: Path) -> list[str]:
    """The processes whose command line names ``workdir`` (the demo's services, its screen)."""
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and _mentions(pid, str(workdir))]


def test_demo_on_a_desktop_takes_a_clicked_donation_and_closes(xserver, tmp_path,
                                                               processes_output):
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="xn-", dir="/tmp")) / "notify")
    demo_proc, lines, workdir = start_demo(xserver, notify, processes_output)
    try:
        ledger = workdir / "data" / "kiosk.db"
        notify.wait_for("STATUS=kiosk screen shown", timeout=90)
        wid, box = kiosk_window(xserver)
        assert box[2:] == (800, 480)
        wait_until("giving available", lambda: ledger.exists() and kiosk_row_ok(ledger))
        time.sleep(0.5)  # the next frame shows « Je donne »
        shot(xserver, box, "attract", tmp_path)

        click(xserver, wid, GIVE)
        time.sleep(1.0)
        shot(xserver, box, "amount", tmp_path)
        click(xserver, wid, FIVE_EUROS)
        [(donation_id, state, amount)] = wait_until(
            "an approved donation", lambda: [d for d in donations(ledger) if d[1] == "approved"])
        assert amount == 500 and len(donations(ledger)) == 1  # one click, one donation
        time.sleep(1.0)  # the thank-you screen, its QR drawn
        thanks = shot(xserver, box, "thanks", tmp_path)
        [url] = decode_qr(thanks)
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        assert parts.path == f"/r/demo-kiosk/{donation_id}", url
        assert (query["amount"], query["currency"]) == (["500"], ["EUR"]), url
        # The demo's central service signs it off: the receipt page a phone opens is valid.
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and "Reçu valide" in page.read().decode()
        click(xserver, wid, DONE)

        close_like_a_window_manager(xserver, wid)
        assert demo_proc.wait(timeout=30) == 0, "\n".join(lines)
        assert any("the screen was closed; stopping the demo" in line for line in lines)
        assert not still_running(workdir), "demo services still running after the demo stopped"
    finally:
        if demo_proc.poll() is None:
            demo_proc.send_signal(signal.SIGTERM)
            demo_proc.wait(timeout=30)
        notify.close()


def test_demo_on_a_desktop_stops_its_screen_and_services_on_sigterm(xserver, processes_output):
    # With a display the demo also runs the screen; a SIGTERM (or Ctrl-C) must stop it and
    # every service, not leave them running.
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="xn-", dir="/tmp")) / "notify")
    demo_proc, lines, workdir = start_demo(xserver, notify, processes_output)
    try:
        notify.wait_for("STATUS=kiosk screen shown", timeout=90)
        assert len(still_running(workdir)) >= 5  # API, simulator, bridge, sync, screen
        demo_proc.send_signal(signal.SIGTERM)
        assert demo_proc.wait(timeout=30) == 0, "\n".join(lines)
        wait_until("every demo process gone", lambda: not still_running(workdir), timeout=10)
    finally:
        if demo_proc.poll() is None:
            demo_proc.kill()
            demo_proc.wait(timeout=30)
        for pid in still_running(workdir):  # a failed run must not leave them behind
            os.kill(int(pid), signal.SIGKILL)
        notify.close()


def test_locked_screen_on_a_desktop_ignores_close_and_escape(xserver, tmp_path,
                                                             processes_output):
    config = demo.write_demo_config(tmp_path)
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="xn-", dir="/tmp")) / "notify")
    screen = subprocess.Popen([str(BIN / "kiosk"), "--config", str(config)],
                              env=screen_env(xserver, notify), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    lines = processes_output(screen)
    try:
        notify.wait_for("STATUS=kiosk screen shown", timeout=90)
        wid, box = kiosk_window(xserver)
        close_like_a_window_manager(xserver, wid)
        xdotool(xserver, "key", "--window", wid, "Escape")
        xdotool(xserver, "key", "--window", wid, "alt+F4")
        time.sleep(1.5)
        assert screen.poll() is None, "\n".join(lines)
        shot(xserver, box, "locked", tmp_path)
    finally:
        screen.send_signal(signal.SIGTERM)
        assert screen.wait(timeout=30) == 0, "\n".join(lines)
        notify.close()


def _mentions(pid: str, text: str) -> bool:
    try:
        return text in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


@pytest.fixture
def processes_output():  # noqa: ANN201
    """Collect a process's output lines on a thread (a full pipe would block it)."""
    def collect(proc: subprocess.Popen) -> list[str]:
        lines: list[str] = []

        def pump() -> None:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()
        return lines
    return collect
