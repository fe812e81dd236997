"""``kiosk --demo``: the whole kiosk on a throwaway data directory.

Starts, as child processes on 127.0.0.1 only: the reference central API (with the demo catalog
and an enrolment code), ``kioskctl enroll``, the terminal simulator on a pseudo-terminal, the
bridge service, ``kiosk-sync``, and the screen in a window. A part not built into this release
is skipped with a plain note. With no display the services still run, so ``kioskctl status``
and ``kioskctl simulate`` can be tried. Ctrl-C stops every child.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.core import config as configmod
from kiosk.core import pin
from kiosk.core.ledger import Ledger, Limits

ENROLL_CODE = "DEMO-2026"
DEMO_PIN = "123456"  # the demo's shop-owner PIN; a device gets its own with set-pin
STOP_GRACE_S = 5.0


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_demo_config(workdir: Path, api_url: str = "http://127.0.0.1:8765") -> Path:
    values = {
        "device": {"id": "demo-kiosk", "data_dir": str(workdir / "data"), "min_free_disk_mb": 50},
        "api": {"base_url": api_url, "token_file": str(workdir / "device-token"),
                "heartbeat_interval_s": 30, "catalog_interval_s": 60},
        "terminal": {"device": str(workdir / "terminal"),
                     "bridge_socket": str(workdir / "bridge.sock"),
                     "journal": str(workdir / "bridge" / "journal.db"),
                     "card_wait_timeout_s": 60},
        # Always open: a demo tried early in the morning must not show the closed screen.
        "screen": {"fullscreen": False, "opening_time": "00:00", "closing_time": "23:59"},
    }
    path = workdir / "kiosk.toml"
    path.write_text(configmod.render_toml(values))
    configmod.load(path)  # the demo's own file must pass the same validation
    return path


@dataclass
class Part:
    name: str
    argv: list[str]
    needs_module: str  # skipped, with a note, when this module is not in the release
    wait_for: Path | None = None  # a file (socket, pty link) that shows it is up
    one_shot: bool = False
    wait_port: int | None = None  # a TCP port on 127.0.0.1 that shows it is up


def demo_parts(workdir: Path, cfg_path: Path, api_port: int) -> list[Part]:
    py = sys.executable
    bin_dir = Path(py).parent  # the console scripts installed beside this interpreter
    config = ["--config", str(cfg_path)]
    code_file = workdir / "enroll-code"  # never on a command line, where ps shows it
    code_file.write_text(ENROLL_CODE + "\n", encoding="utf-8")
    return [
        Part("central API", [py, "-m", "central_api", "--host", "127.0.0.1", "--port",
                             str(api_port), "--db", str(workdir / "central.db"),
                             "--enroll-code", ENROLL_CODE, "--demo-catalog"], "central_api",
             wait_port=api_port),
        Part("enrolment", [str(bin_dir / "kioskctl"), *config, "enroll", "--code-file",
                           str(code_file)],
             "kiosk.sync", one_shot=True),
        Part("terminal simulator", [str(bin_dir / "firmware-bridge"), "simulate", "--link",
                                    str(workdir / "terminal"), "--record",
                                    str(workdir / "acquirer.jsonl")], "firmware_bridge.cli",
             wait_for=workdir / "terminal"),
        Part("terminal bridge", [str(bin_dir / "firmware-bridge"), "serve", *config],
             "firmware_bridge.cli", wait_for=workdir / "bridge.sock"),
        Part("sync", [str(bin_dir / "kiosk-sync"), *config], "kiosk.sync.service"),
    ]


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _is_up(part: Part) -> bool:
    if part.wait_for is not None and not part.wait_for.exists():
        return False
    if part.wait_port is not None:
        try:
            socket.create_connection(("127.0.0.1", part.wait_port), timeout=0.5).close()
        except OSError:
            return False
    return True


def start_services(workdir: Path, cfg_path: Path, api_port: int,
                   children: Children) -> list[str]:
    """Start every part present in this release; returns the names of those skipped."""
    (workdir / "logs").mkdir(exist_ok=True)
    skipped = []
    for part in demo_parts(workdir, cfg_path, api_port):
        if not _available(part.needs_module):
            print(f"  {part.name}: not in this release yet, skipped")
            skipped.append(part.name)
            continue
        children.start(part, workdir / "logs")
    return skipped


class Children:
    """The demo's child processes, each in its own process group, stopped together."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, part: Part, log_dir: Path, timeout_s: float = 15.0) -> bool:
        log = (log_dir / f"{part.name.replace(' ', '-')}.log").open("ab")
        proc = subprocess.Popen(part.argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        if part.one_shot:
            code = proc.wait(timeout=timeout_s)
            print(f"  {part.name}: {'done' if code == 0 else f'failed (exit {code})'}")
            return code == 0
        self.procs.append((part.name, proc))
        deadline = time.monotonic() + timeout_s
        while not _is_up(part):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(f"  {part.name}: did not start, see {log.name}")
                return False
            time.sleep(0.1)
        print(f"  {part.name}: running (pid {proc.pid})")
        return True

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # exited since poll()
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _stop_on_sigterm() -> None:
    """SIGTERM (``timeout``, ``kill``) stops the demo like Ctrl-C: children are stopped too."""

    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def run() -> int:
    _stop_on_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    api_port = free_port()
    cfg_path = write_demo_config(workdir, f"http://127.0.0.1:{api_port}")
    cfg = configmod.load(cfg_path)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    ledger.set_setting("pin_hash", pin.hash_new_pin(DEMO_PIN))  # a demo only: shown below
    ledger.close()
    print(f"demo data directory: {workdir}\nstarting:")
    children = Children()
    try:
        start_services(workdir, cfg_path, api_port, children)
        print(f"try: kioskctl --config {cfg_path} status")
        print(f"shop settings: hold the top-left corner of the screen for 3 s, PIN {DEMO_PIN}")
        if has_display():
            # Its own process group, like every child, so stop_all can stop it the same way.
            screen = subprocess.Popen([sys.executable, "-m", "kiosk", "--config",
                                       str(cfg_path), "--window", "800x480"],
                                      start_new_session=True)
            children.procs.append(("screen", screen))
            print("the kiosk screen is open; close it or press Ctrl-C here to stop the demo")
            screen.wait()
            print("the screen was closed; stopping the demo…")
        else:
            print("No display here (DISPLAY and WAYLAND_DISPLAY are unset), so the screen "
                  "cannot open. The services keep running: try 'kioskctl --config "
                  f"{cfg_path} simulate --donations 3'. Press Ctrl-C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the demo…")
    finally:
        children.stop_all()
    return 0
