"""sd_notify over ``$NOTIFY_SOCKET`` with the standard library only (READY=1, WATCHDOG=1).

Without ``NOTIFY_SOCKET`` (not started by systemd) every call is a no-op returning False.
"""

from __future__ import annotations

import os
import socket


def notify(message: str, *, env: dict[str, str] | None = None) -> bool:
    """Send one notification; True if it was sent."""
    path = (env if env is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not path:
        return False
    if path.startswith("@"):  # abstract namespace
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(path)
            s.sendall(message.encode())
    except OSError:
        return False
    return True


def ready(status: str = "") -> bool:
    return notify("READY=1" + (f"\nSTATUS={status}" if status else ""))


def watchdog() -> bool:
    return notify("WATCHDOG=1")


def watchdog_interval_s(env: dict[str, str] | None = None) -> float | None:
    """Half the watchdog period systemd asked for (``WATCHDOG_USEC``), or None if none."""
    e = env if env is not None else os.environ
    try:
        usec = int(e.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = e.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    return usec / 2e6 if usec > 0 else None
