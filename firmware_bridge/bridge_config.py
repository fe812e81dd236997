"""The bridge's own reader for its part of kiosk.toml: the ``[terminal]`` section and
``donations.max_donation_cents``.

The bridge knows nothing of the kiosk, so it validates what it uses itself, with the kiosk's
rules: unknown ``[terminal]`` keys are errors, no number may be inf or nan, and the socket is
never the journal (``serve`` removes whatever is at the socket path before binding: a socket
path equal to the journal would delete the record that prevents a double charge). Other
sections belong to the kiosk's processes, which validate the whole file themselves.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROTOCOLS = ("concert-v2", "concert-v3")
TRANSPORTS = ("serial", "tcp")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_MISSING = object()

Value = str | int | float


class BridgeConfigError(Exception):
    """A problem in the bridge's part of the file, phrased for the operator who fixes it."""

    def __init__(self, path: Path | str, key: str, value: object, expected: str):
        self.path, self.key, self.value, self.expected = str(path), key, value, expected
        shown = "(missing)" if value is _MISSING else repr(value)
        super().__init__(f"{path}: {key} = {shown}: expected {expected}")


@dataclass(frozen=True)
class _Key:
    kinds: tuple[type, ...]
    default: Value
    expected: str
    check: Callable[[Value], bool]


def _abs(v: Value) -> bool:
    return isinstance(v, str) and os.path.isabs(v)


def _up_to(top: float) -> Callable[[Value], bool]:
    # Bounded: a huge timeout overflows time_t in the socket and thread calls.
    return lambda v: 0 < v <= top  # type: ignore[operator]


TERMINAL_KEYS: dict[str, _Key] = {
    "protocol": _Key((str,), "concert-v2", f"one of {', '.join(PROTOCOLS)}",
                     lambda v: v in PROTOCOLS),
    "transport": _Key((str,), "serial", f"one of {', '.join(TRANSPORTS)}",
                      lambda v: v in TRANSPORTS),
    "device": _Key((str,), "/dev/payment-terminal", "the serial device path", _abs),
    "host": _Key((str,), "127.0.0.1", "the terminal's host name or IP address (tcp)",
                 lambda v: True),
    "port": _Key((int,), 8888, "a TCP port from 1 to 65535", lambda v: 1 <= v <= 65535),  # type: ignore[operator]
    "baudrate": _Key((int,), 9600, "a standard baud rate", lambda v: v in BAUDRATES),
    "bytesize": _Key((int,), 7, "7 or 8", lambda v: v in (7, 8)),
    "parity": _Key((str,), "E", "one of N, E, O", lambda v: v in ("N", "E", "O")),
    "stopbits": _Key((int,), 1, "1 or 2", lambda v: v in (1, 2)),
    "pos_number": _Key((str,), "01", "two digits",
                       lambda v: re.fullmatch(r"\d\d", str(v)) is not None),
    "register_id": _Key((str,), "000000000001", "twelve digits",
                        lambda v: re.fullmatch(r"\d{12}", str(v)) is not None),
    "byte_timeout_s": _Key((int, float), 3, "seconds > 0 and at most 60", _up_to(60)),
    "card_wait_timeout_s": _Key((int,), 180, "seconds from 10 to 600",
                                lambda v: 10 <= v <= 600),  # type: ignore[operator]
    "probe_interval_s": _Key((int,), 300, "seconds > 0 and at most 86400", _up_to(86400)),
    "bridge_socket": _Key((str,), "/run/kiosk/bridge.sock", "an absolute socket path", _abs),
    "journal": _Key((str,), "/var/lib/firmware-bridge/journal.db", "an absolute file path",
                    _abs),
}
MAX_DONATION = _Key((int,), 15000, "a whole number of cents > 0", lambda v: v > 0)  # type: ignore[operator]


@dataclass(frozen=True)
class TerminalSettings:
    protocol: str
    transport: str
    device: str
    host: str
    port: int
    baudrate: int
    bytesize: int
    parity: str
    stopbits: int
    pos_number: str
    register_id: str
    byte_timeout_s: float
    card_wait_timeout_s: int
    probe_interval_s: int
    bridge_socket: str
    journal: str


@dataclass(frozen=True)
class BridgeConfig:
    path: Path
    terminal: TerminalSettings
    max_amount_cents: int


def _value(path: Path | str, dotted: str, given: dict[str, object], key: str,
           spec: _Key) -> Value:
    value = given.get(key, spec.default)
    if isinstance(value, float) and not math.isfinite(value):
        # TOML allows inf and nan; no timeout here may be either.
        raise BridgeConfigError(path, dotted, value, f"a finite number: {spec.expected}")
    # bool is an int in Python; a TOML `true` must not pass as a number.
    if (isinstance(value, bool) or not isinstance(value, spec.kinds)
            or not spec.check(value)):
        raise BridgeConfigError(path, dotted, value, spec.expected)
    return value


def _table(path: Path | str, raw: dict[str, object], name: str) -> dict[str, object]:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise BridgeConfigError(path, name, table, f"a [{name}] table")
    return table


def validate(raw: dict[str, object], path: Path | str = "<config>") -> BridgeConfig:
    """The bridge's settings from a parsed kiosk.toml; :class:`BridgeConfigError` otherwise."""
    given = _table(path, raw, "terminal")
    for key in given:
        if key not in TERMINAL_KEYS:
            raise BridgeConfigError(path, f"terminal.{key}", given[key],
                                    f"a key known in [terminal] (unknown keys are errors): "
                                    f"{', '.join(TERMINAL_KEYS)}")
    values = {key: _value(path, f"terminal.{key}", given, key, spec)
              for key, spec in TERMINAL_KEYS.items()}
    terminal = TerminalSettings(**values)  # type: ignore[arg-type]
    check_terminal(terminal, path)
    donations = _table(path, raw, "donations")
    max_amount = _value(path, "donations.max_donation_cents", donations,
                        "max_donation_cents", MAX_DONATION)
    return BridgeConfig(Path(path), terminal, int(max_amount))


def check_terminal(terminal: TerminalSettings, path: Path | str = "<config>") -> None:
    """The rules between [terminal] keys; the kiosk's own config reader applies them too."""
    if terminal.transport == "tcp" and terminal.protocol != "concert-v3":
        raise BridgeConfigError(path, "terminal.protocol", terminal.protocol,
                                "'concert-v3' (Caisse-AP IP) with terminal.transport = 'tcp'")
    socket_path = os.path.normpath(terminal.bridge_socket)
    journal = os.path.normpath(terminal.journal)
    if socket_path in {journal + suffix for suffix in ("", *_SQLITE_SIDE_FILES)}:
        raise BridgeConfigError(path, "terminal.bridge_socket", terminal.bridge_socket,
                                f"a file of its own: {socket_path} is already used by "
                                "terminal.journal")


def read_toml(p: Path, error: Callable[[Path, str, str, str], Exception]) -> dict[str, Any]:
    """kiosk.toml as a dict; anything unreadable raises ``error(path, key, value, expected)``
    naming what was wrong (the kiosk's own configuration reads the file through this too)."""
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise error(p, "(file)", str(p), "an existing configuration file") from None
    except PermissionError:
        raise error(p, "(file)", str(p), "a file readable by this user") from None
    except IsADirectoryError:
        raise error(p, "(file)", str(p), "a file, not a directory") from None
    except UnicodeDecodeError as e:
        raise error(p, "(file)", f"byte {e.start}", "UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(p, "(syntax)", str(e), "valid TOML") from None


def load(path: Path | str) -> BridgeConfig:
    """Read kiosk.toml and validate the bridge's part of it."""
    p = Path(path)
    return validate(read_toml(p, BridgeConfigError), p)
