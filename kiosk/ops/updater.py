"""Safe updates: a new release in a fresh virtualenv, a symlink switch, a health deadline, and
an automatic rollback to the previous release when the new one is not healthy in time.

Layout under ``base`` (``/opt/kiosk`` on a device)::

    releases/<version>-<stamp>/   one virtualenv per release
    current -> releases/…         what the units run (ExecStart=/opt/kiosk/current/bin/…)
    previous -> releases/…        the release to go back to
    update-state.json             written before the switch, removed when the outcome is known
    updates.log                   one JSON line per update attempt

The database is never copied back on a rollback (that would lose donations taken meanwhile):
migrations are additive, so the previous release runs on the newer schema (see
``kiosk.core.schema``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kiosk.core.durable import fsync_dir

UNITS = ("firmware-bridge.service", "kiosk-sync.service", "kiosk.service")
DEFAULT_BASE = Path("/opt/kiosk")
DEFAULT_RESTART = ("systemctl", "restart", *UNITS)
_WHEEL_NAME = re.compile(r"(?P<name>[A-Za-z0-9_.]+)-(?P<version>[0-9][A-Za-z0-9_.+!]*)-.+\.whl")


class UpdateError(Exception):
    """The update could not be carried out; the running release was left in place."""


@dataclass
class Plan:
    """What an update does; commands are argument lists, ``{release}`` is the release dir."""

    wheel: Path
    base: Path = DEFAULT_BASE
    python: str = sys.executable
    # Extra pip arguments, e.g. ["--no-index", "--find-links", DIR] on an offline fleet.
    pip_args: Sequence[str] = ()
    # A release can reuse the system's site-packages (Kivy from Debian on a Pi Zero).
    system_site_packages: bool = False
    # Run by the new release before the switch: it must at least start and read the config.
    smoke_cmd: Sequence[str] = ("{release}/bin/kioskctl", "version")
    restart_cmd: Sequence[str] = DEFAULT_RESTART
    health_cmd: Sequence[str] = ("{release}/bin/kioskctl", "self-test", "--services",
                                 "--terminal-may-be-off")
    health_deadline_s: float = 120.0
    # Healthy means the health command passes without a break for this long (a crash loop
    # with Restart=always looks healthy between two crashes).
    settle_s: float = 20.0
    poll_s: float = 2.0
    keep_releases: int = 2


@dataclass
class UpdateOutcome:
    ok: bool
    version: str
    release: str
    previous: str | None
    rolled_back: bool = False
    detail: str = ""
    steps: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def wheel_version(wheel: Path) -> str:
    """The version in a wheel's file name (PEP 427), refusing anything else."""
    found = _WHEEL_NAME.fullmatch(wheel.name)
    if not found:
        raise UpdateError(f"{wheel.name}: not a wheel file name (name-version-…-.whl)")
    return found.group("version")


def current_release(base: Path) -> Path | None:
    link = base / "current"
    return link.resolve() if link.is_symlink() else None


def switch(base: Path, name: str, target: Path) -> None:
    """Point ``base/name`` at ``target`` atomically (a new link renamed over the old one)."""
    tmp = base / f".{name}.new"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target.relative_to(base))
    os.replace(tmp, base / name)
    fsync_dir(base)


@contextlib.contextmanager
def _locked(base: Path) -> Iterator[None]:
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".update.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UpdateError("another update is running") from None
        yield


def _expand(cmd: Sequence[str], release: Path) -> list[str]:
    return [part.replace("{release}", str(release)) for part in cmd]


def _run(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


def _attempt(cmd: Sequence[str], timeout: float) -> tuple[bool, str]:
    """Run ``cmd``; (passed, what it said). A missing program or a timeout is a failure,
    never an exception: after the switch every failure must end in a rollback."""
    try:
        done = _run(cmd, timeout)
    except subprocess.TimeoutExpired:
        return False, f"{' '.join(cmd)}: no answer within {timeout:g} s"
    except OSError as e:
        return False, f"{' '.join(cmd)}: {e}"
    return done.returncode == 0, (done.stdout + done.stderr).strip()[-800:]


def install_release(plan: Plan, version: str) -> Path:
    """A fresh virtualenv with the wheel installed, beside the current release."""
    releases = plan.base / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    release = releases / f"{version}-{stamp}"
    venv = [plan.python, "-m", "venv", str(release)]
    if plan.system_site_packages:
        venv.insert(3, "--system-site-packages")
    pip = [str(release / "bin/python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check", *plan.pip_args, str(plan.wheel)]
    for step in (venv, pip):
        done = _run(step, timeout=1800)
        if done.returncode != 0:
            shutil.rmtree(release, ignore_errors=True)
            raise UpdateError(f"installing {plan.wheel.name} failed: "
                              f"{(done.stderr or done.stdout).strip()[-800:]}")
    return release


def wait_healthy(cmd: Sequence[str], deadline_s: float, settle_s: float, poll_s: float,
                 clock: Callable[[], float] = time.monotonic) -> tuple[bool, str]:
    """Poll ``cmd`` until it has passed without a break for ``settle_s``, or the deadline."""
    start = clock()
    healthy_since: float | None = None
    last = "no health check ran"
    while True:
        now = clock()
        passed, last = _attempt(cmd, timeout=max(poll_s * 5, 10))
        if passed:
            healthy_since = now if healthy_since is None else healthy_since
            if now - healthy_since >= settle_s:
                return True, last
        else:
            healthy_since = None
        if now - start >= deadline_s:
            return False, last
        time.sleep(poll_s)


def update(plan: Plan, log: Callable[[str], None] = lambda _line: None) -> UpdateOutcome:
    """Install, switch, restart, check health; roll back on failure. Never raises after the
    switch: a failure there ends in a rollback and an :class:`UpdateOutcome` that says so."""
    version = wheel_version(plan.wheel)
    if not plan.wheel.is_file():
        raise UpdateError(f"{plan.wheel}: no such wheel file")
    with _locked(plan.base):
        previous = current_release(plan.base)
        steps: list[str] = []

        def step(text: str) -> None:
            steps.append(text)
            log(text)

        step(f"installing {plan.wheel.name} into a fresh virtualenv")
        release = install_release(plan, version)
        started, said = _attempt(_expand(plan.smoke_cmd, release), timeout=120)
        if not started:
            shutil.rmtree(release, ignore_errors=True)
            raise UpdateError(f"the new release does not start: {said}")
        step(f"new release {release.name} starts; switching")
        state = {"release": release.name, "previous": previous.name if previous else None,
                 "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        _write_json(plan.base / "update-state.json", state)
        if previous:
            switch(plan.base, "previous", previous)
        switch(plan.base, "current", release)
        outcome = _restart_and_check(plan, release, previous, version, step)
        outcome.steps = steps
        (plan.base / "update-state.json").unlink()
        with open(plan.base / "updates.log", "a", encoding="utf-8") as f:
            f.write(outcome.as_json() + "\n")
        if outcome.ok:
            prune(plan.base, plan.keep_releases)
        return outcome


def _restart_and_check(plan: Plan, release: Path, previous: Path | None, version: str,
                       step: Callable[[str], None]) -> UpdateOutcome:
    restarted, said = _attempt(plan.restart_cmd, timeout=300)
    if not restarted:
        healthy, detail = False, f"restart failed: {said}"
    else:
        step(f"services restarted; waiting up to {plan.health_deadline_s:g} s for health")
        healthy, detail = wait_healthy(_expand(plan.health_cmd, release), plan.health_deadline_s,
                                       plan.settle_s, plan.poll_s)
    if healthy:
        step(f"version {version} is healthy")
        return UpdateOutcome(True, version, release.name, previous.name if previous else None,
                       detail=detail)
    step(f"version {version} is not healthy: {detail}")
    if previous is None:
        return UpdateOutcome(False, version, release.name, None, detail=detail)
    switch(plan.base, "current", previous)
    restarted, said = _attempt(plan.restart_cmd, timeout=300)
    step(f"rolled back to {previous.name}" + ("" if restarted else f" (restart failed: {said})"))
    shutil.rmtree(release, ignore_errors=True)
    return UpdateOutcome(False, version, release.name, previous.name, rolled_back=True,
                         detail=detail)


def interrupted(base: Path) -> dict | None:
    """The state of an update that was cut short (power cut mid-update), if any."""
    path = base / "update-state.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        return {"error": f"{path}: {e}"}


def recover(base: Path, restart_cmd: Sequence[str] = DEFAULT_RESTART) -> str:
    """After an interrupted update, go back to the release that was known to be healthy."""
    state = interrupted(base)
    if state is None:
        return "no interrupted update"
    previous = state.get("previous")
    if previous and (base / "releases" / previous).is_dir():
        switch(base, "current", base / "releases" / previous)
        _attempt(restart_cmd, timeout=300)
        message = f"interrupted update undone: back on {previous}"
    else:
        message = "interrupted update had no previous release; the new one stays"
    (base / "update-state.json").unlink()
    return message


def prune(base: Path, keep: int) -> list[str]:
    """Remove old releases, never ``current`` or ``previous``."""
    protected = {p.name for p in (current_release(base), _link(base / "previous")) if p}
    releases = sorted((p for p in (base / "releases").iterdir() if p.is_dir()),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for old in releases[keep:]:
        if old.name not in protected:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


def _link(path: Path) -> Path | None:
    return path.resolve() if path.is_symlink() else None


def _write_json(path: Path, value: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
