"""``kiosk --demo``: the whole kiosk on a throwaway data directory.

Starts, as child processes on 127.0.0.1 only: the central service on SQLite in the demo's
directory (``central migrate``, ``central demo-network``: the demo shops, projects, a device
code and a back-office login; ``central serve``), ``kioskctl enroll`` with that code, the
terminal simulator on a pseudo-terminal, the bridge service, ``kiosk-sync``, and the screen in
a window. A part not built into this release is skipped with a plain note. With no display
the services still run, so ``kioskctl status`` and ``kioskctl simulate`` can be tried.
Ctrl-C stops every child.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.core import config as configmod
from kiosk.core import pin
from kiosk.core.ledger import Ledger, Limits

DEVICE_ID = "demo-kiosk"
DEMO_PIN = "123456"  # the demo's shop-owner PIN; a device gets its own with set-pin
STOP_GRACE_S = 5.0


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def free_port() -> int:
    """A loopback port free now that no other program is handed out before our server binds
    it: the kernel gives a port asked for as 0 from its ephemeral range, so a port below that
    range cannot be taken meanwhile by another server starting on port 0 (the tests' parallel
    workers start many), only by one choosing the way this does."""
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768  # Linux's default range starts there
    low = 10000 if ephemeral_low > 11000 else 1024
    for _ in range(200):
        port = random.randrange(low, ephemeral_low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use: another
            return port
    raise RuntimeError(f"no free loopback port between {low} and {ephemeral_low}")


def write_demo_config(workdir: Path, api_url: str = "http://127.0.0.1:8765") -> Path:
    values = {
        "device": {"id": DEVICE_ID, "data_dir": str(workdir / "data"), "min_free_disk_mb": 50},
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
    env: dict[str, str] | None = None  # the whole environment, when not the demo's own
    cwd: Path | None = None
    timeout_s: float = 15.0
    output: Path | None = None  # a one-shot's standard output, when it is read back (0600)
    then: Callable[[], None] | None = field(default=None, repr=False)  # after it succeeded


def central_env(workdir: Path) -> dict[str, str]:
    """The central service's environment: demo settings (the test administration routes and
    fault injection included, behind a token only this directory holds), SQLite in
    ``workdir``, sent mail as files there."""
    token_file = workdir / "central-admin-token"
    if not token_file.exists():
        token_file.touch(mode=0o600)
        token_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "central.settings.demo",
                "DATABASE_URL": f"sqlite:///{(workdir / 'central.sqlite3').resolve()}",
                "CENTRAL_TEST_ADMIN_TOKEN": token_file.read_text(encoding="utf-8"),
                "CENTRAL_EMAIL_DIR": str(workdir / "sent-mail"),
                "DJANGO_STATIC_ROOT": str(workdir / "static"), "PYTHONUNBUFFERED": "1"})
    return env


def admin_token(workdir: Path) -> str:
    """The token of the demo service's administration routes (header X-Central-Admin-Token)."""
    return (workdir / "central-admin-token").read_text(encoding="utf-8")


def _network_output(workdir: Path, what: str) -> str | None:
    """A value ``central demo-network`` printed: its device code or its network
    administrator's back-office login."""
    pattern = {"code": r"enrollment code: (\S+)", "login": r"back office login: (\S+ / \S+)"}
    out = workdir / "demo-network.out"
    found = re.search(pattern[what], out.read_text(encoding="utf-8")) if out.exists() else None
    return found.group(1) if found else None


def association_logins(workdir: Path) -> dict[str, tuple[str, str]]:
    """The associations' back-office logins ``central demo-network`` printed: by name,
    (username, password)."""
    out = workdir / "demo-network.out"
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    return {name: (user, password) for name, user, password
            in re.findall(r"association login \((.+?)\): (\S+) / (\S+)", text)}


def _take_enrollment_code(workdir: Path) -> None:
    """Into the file ``kioskctl enroll`` reads: never a command line, where ps shows it."""
    code = _network_output(workdir, "code")
    if code is None:
        raise RuntimeError("central demo-network printed no enrollment code")
    code_file = workdir / "enroll-code"
    code_file.touch(mode=0o600)
    code_file.write_text(code + "\n", encoding="utf-8")


def back_office(workdir: Path, api_port: int) -> str:
    """Where the demo's back office is and how to sign in, to print."""
    login = _network_output(workdir, "login") or "(see logs/central-demo-network.log)"
    text = f"back office: http://127.0.0.1:{api_port}/backoffice/sign-in/  login {login}"
    return text + "".join(f"\n  as {name}: {user} / {password}"
                          for name, (user, password) in association_logins(workdir).items())


def demo_parts(workdir: Path, cfg_path: Path, api_port: int) -> list[Part]:
    py = sys.executable
    bin_dir = Path(py).parent  # the console scripts installed beside this interpreter
    config = ["--config", str(cfg_path)]
    central = [str(bin_dir / "central")]
    env = central_env(workdir)
    return [
        Part("central database", [*central, "migrate", "-v0"], "central", one_shot=True,
             env=env, cwd=workdir, timeout_s=300),
        Part("central demo network", [*central, "demo-network", "--device", DEVICE_ID],
             "central", one_shot=True, env=env, cwd=workdir, timeout_s=120,
             output=workdir / "demo-network.out", then=lambda: _take_enrollment_code(workdir)),
        # --pid names the demo's directory on gunicorn's command line, so the processes of
        # a demo can be told apart; two workers are plenty for one kiosk and a browser.
        Part("central service", [*central, "serve", "--bind", f"127.0.0.1:{api_port}",
                                 "--workers", "2", "--pid", str(workdir / "central.pid")],
             "central", wait_port=api_port, env=env, cwd=workdir, timeout_s=60),
        Part("enrolment", [str(bin_dir / "kioskctl"), *config, "enroll", "--code-file",
                           str(workdir / "enroll-code")],
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
        if children.start(part, workdir / "logs") and part.then is not None:
            part.then()
    return skipped


class Children:
    """The demo's child processes, each in its own process group, stopped together."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, part: Part, log_dir: Path) -> bool:
        log = (log_dir / f"{part.name.replace(' ', '-')}.log").open("ab")
        out = log
        if part.output is not None:  # it holds a secret (a code, a password): owner only
            part.output.touch(mode=0o600)
            out = part.output.open("wb")
        proc = subprocess.Popen(part.argv, stdout=out,
                                stderr=log if part.output is not None else subprocess.STDOUT,
                                start_new_session=True, env=part.env, cwd=part.cwd)
        if part.one_shot:
            code = proc.wait(timeout=part.timeout_s)
            if out is not log:
                out.close()
            print(f"  {part.name}: {'done' if code == 0 else f'failed (exit {code})'}")
            return code == 0
        self.procs.append((part.name, proc))
        deadline = time.monotonic() + part.timeout_s
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
        print(back_office(workdir, api_port))
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
