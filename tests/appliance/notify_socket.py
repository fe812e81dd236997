"""A real sd_notify socket, as systemd (PID 1) would hold for a Type=notify service."""

from __future__ import annotations

import socket
import time
from pathlib import Path


class NotifySocket:
    """Bind a datagram socket at ``path``; collect what a service sends to NOTIFY_SOCKET."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[tuple[float, str]] = []

    def env(self, watchdog_usec: int) -> dict[str, str]:
        return {"NOTIFY_SOCKET": str(self.path), "WATCHDOG_USEC": str(watchdog_usec)}

    def wait_for(self, line: str, count: int = 1, timeout: float = 30.0) -> list[float]:
        """Times at which ``line`` arrived, once it has arrived ``count`` times."""
        deadline = time.monotonic() + timeout
        while True:
            seen = [t for t, m in self.messages if line in m.splitlines()]
            if len(seen) >= count:
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{line!r} x{count} not received in {timeout} s; got "
                                     f"{[m for _, m in self.messages][-5:]}")
            self._receive(left)

    def drain(self, seconds: float) -> list[str]:
        """Everything received during the next ``seconds``."""
        start = len(self.messages)
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._receive(left)
        return [m for _, m in self.messages[start:]]

    def _receive(self, timeout: float) -> None:
        self.sock.settimeout(min(timeout, 0.5))
        try:
            data = self.sock.recv(4096)
        except TimeoutError:
            return
        self.messages.append((time.monotonic(), data.decode("utf-8", "replace")))

    def close(self) -> None:
        self.sock.close()
