"""Byte transports under the link layer: a serial device (pyserial) and a TCP socket.

A transport reads with a timeout and returns ``b""`` when nothing came in time; a device
that went away (USB unplugged, pty closed) raises :class:`TransportError`.
"""

from __future__ import annotations

import os
import select
import socket
import stat
import termios
from typing import Protocol

import serial


class TransportError(OSError):
    """The device or connection is gone or cannot be opened."""


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}

# Linux UNIX98 pseudo-terminal slaves (/dev/pts/N) have major numbers 136-143.
_PTY_SLAVE_MAJORS = range(136, 144)


def is_pseudo_terminal(device: str) -> bool:
    """True for a pty slave (the simulator's device): a byte pipe with no UART behind it."""
    try:
        st = os.stat(device)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) in _PTY_SLAVE_MAJORS


class SerialTransport:
    """A serial device opened by path (re-opened by path after errors: USB re-enumeration)."""

    def __init__(self, device: str, *, baudrate: int = 9600, bytesize: int = 7,
                 parity: str = "E", stopbits: int = 1):
        if is_pseudo_terminal(device):
            # A pty has no framing: the kernel forces CS8 without parity on every tcsetattr,
            # and glibc's tcsetattr(TCSANOW) then reports EINVAL when nothing else in the call
            # changed. The first open at 7E1 only passed because it also changed the speed and
            # modes; every reopen (a bridge restart) failed. Ask for what a pty carries.
            bytesize, parity = 8, "N"
        try:
            self._serial = serial.Serial(device, baudrate=baudrate, bytesize=bytesize,
                                         parity=_PARITY[parity], stopbits=stopbits,
                                         timeout=0, exclusive=True)
        # termios.error is not an OSError: a tcsetattr refused (EINVAL: a device that is not a
        # serial line, or a USB adapter mid-reset) must still read as "cannot open".
        except (serial.SerialException, OSError, ValueError, termios.error) as e:
            raise TransportError(f"cannot open {device}: {e}") from None
        self.device = device
        # Reads go through select + os.read: re-setting pyserial's timeout costs a tcsetattr.
        self._fd = self._serial.fileno()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as e:
            raise TransportError(f"write to {self.device} failed: {e}") from None

    def read(self, size: int, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._fd], [], [], max(timeout, 0))
            if not ready:
                return b""
            data = os.read(self._fd, size)
        except OSError as e:
            raise TransportError(f"read from {self.device} failed: {e}") from None
        if not data:
            raise TransportError(f"{self.device} was disconnected")
        return data

    def discard_input(self) -> None:
        while self.read(4096, 0):
            pass

    def close(self) -> None:
        try:
            self._serial.close()
        except (OSError, serial.SerialException):
            pass


class TcpTransport:
    """One TCP connection (Caisse-AP IP: one request and one answer per connection)."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 3.0):
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as e:
            raise TransportError(f"cannot connect to {host}:{port}: {e}") from None
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.device = f"{host}:{port}"
        self.closed_by_peer = False
        self._send_timeout = connect_timeout

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(self._send_timeout)  # a peer that never reads must not hang us
            self._sock.sendall(data)
        except OSError as e:
            raise TransportError(f"send to {self.device} failed: {e}") from None

    def read(self, size: int, timeout: float) -> bytes:
        """``b""`` on timeout; sets :attr:`closed_by_peer` (and returns ``b""``) at EOF."""
        if self.closed_by_peer:
            return b""
        try:
            self._sock.settimeout(max(timeout, 0.0001))
            data = self._sock.recv(size)
        except TimeoutError:
            return b""
        except OSError as e:
            raise TransportError(f"receive from {self.device} failed: {e}") from None
        if not data:
            self.closed_by_peer = True
        return data

    def discard_input(self) -> None:
        pass

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
