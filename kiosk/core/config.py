"""Operator configuration: one TOML file, validated strictly.

Every process loads it at start-up with :func:`load`. An error names the file, the key, the bad
value and what was expected; an unknown key is an error, so a typo never passes silently.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from firmware_bridge import bridge_config

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
ENV_VAR = "KIOSK_CONFIG"

CURRENCIES = {"EUR": "978", "CHF": "756", "GBP": "826", "USD": "840"}
LANGUAGES = ("fr", "en")


class ConfigError(Exception):
    """A configuration problem, phrased for the operator who has to fix the file."""

    def __init__(self, path: Path | str, key: str, value: object, expected: str):
        self.path, self.key, self.value, self.expected = str(path), key, value, expected
        shown = "(missing)" if value is _MISSING else repr(value)
        super().__init__(f"{path}: {key} = {shown}: expected {expected}")


_MISSING = object()


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default and an optional extra check."""

    kind: type | tuple[type, ...]
    default: Any = _MISSING  # of ``kind``, which differs from key to key
    expected: str = ""
    check: Callable[[Any], bool] | None = None  # given a value already of ``kind``


def _is_positive(v: float) -> bool:
    return v > 0


def _is_non_negative(v: float) -> bool:
    return v >= 0


DAY_S = 86400


def _seconds_up_to(top: float) -> Callable[[float], bool]:
    # An upper bound too: a huge timeout overflows time_t in the socket and thread calls.
    return lambda v: 0 < v <= top


def _is_abs_path(v: str) -> bool:
    return os.path.isabs(v)


def _is_device_id(v: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", v) is not None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_api_url(v: str) -> bool:
    parts = urlsplit(v)
    if parts.scheme == "https" and parts.hostname:
        return True
    # Plain HTTP only to a loopback address (the demo and the tests); never on a network.
    return parts.scheme == "http" and is_loopback_host(parts.hostname)


def _is_amount_list(v: list) -> bool:
    return 1 <= len(v) <= 6 and all(type(a) is int and a > 0 for a in v) and len(set(v)) == len(v)


def _is_hhmm(v: str) -> bool:
    return re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v) is not None


API_URL = "an https:// URL (plain http:// only to a loopback address such as 127.0.0.1)"

SCHEMA: dict[str, dict[str, Key]] = {
    "device": {
        "id": Key(str, expected="a device id of letters, digits, '.', '_' or '-' (1-64 chars)",
                  check=_is_device_id),
        "data_dir": Key(str, "/var/lib/kiosk", "an absolute directory path", _is_abs_path),
        "min_free_disk_mb": Key(int, 200, "a whole number of MiB >= 0", _is_non_negative),
    },
    "api": {
        "base_url": Key(str, expected=API_URL, check=_is_api_url),
        "ca_bundle": Key(str, "", "the absolute path of an existing PEM CA bundle, or \"\" for "
                         "the system's CAs", lambda v: v == "" or _is_abs_path(v)),
        "token_file": Key(str, "/etc/kiosk/device-token", "an absolute file path", _is_abs_path),
        "receipt_base_url": Key(str, "", "\"\" (use base_url) or " + API_URL,
                                lambda v: v == "" or _is_api_url(v)),
        "connect_timeout_s": Key((int, float), 5, "seconds > 0 and at most 300",
                                 _seconds_up_to(300)),
        "read_timeout_s": Key((int, float), 20, "seconds > 0 and at most 600",
                              _seconds_up_to(600)),
        "call_deadline_s": Key((int, float), 60, "seconds > 0 and at most 3600",
                               _seconds_up_to(3600)),
        "max_image_mb": Key(int, 8, "a whole number of MiB from 1 to 64", lambda v: 1 <= v <= 64),
        "batch_size": Key(int, 100, "a whole number from 1 to 100", lambda v: 1 <= v <= 100),
        "heartbeat_interval_s": Key(int, 300, "seconds > 0 and at most 86400",
                                    _seconds_up_to(DAY_S)),
        "catalog_interval_s": Key(int, 900, "seconds > 0 and at most 86400",
                                  _seconds_up_to(DAY_S)),
        "max_backoff_s": Key(int, 600, "seconds > 0 and at most 86400", _seconds_up_to(DAY_S)),
    },
    # The bridge reads [terminal] itself (it imports nothing from the kiosk): its rules are
    # the only ones, so both processes refuse the same file.
    "terminal": {name: Key(spec.kinds, spec.default, spec.expected, spec.check)
                 for name, spec in bridge_config.TERMINAL_KEYS.items()},
    "donations": {
        "currency": Key(str, "EUR", f"one of {', '.join(CURRENCIES)}", lambda v: v in CURRENCIES),
        "preset_amounts_cents": Key(list, [200, 500, 1000, 2000],
                                    "1 to 6 distinct whole numbers of cents > 0", _is_amount_list),
        "custom_min_cents": Key(int, 100, "a whole number of cents > 0", _is_positive),
        "custom_max_cents": Key(int, 15000, "a whole number of cents > 0", _is_positive),
        "max_donation_cents": Key(int, 15000, "a whole number of cents > 0", _is_positive),
        "offline_cap_cents": Key(int, 300000, "a whole number of cents > 0", _is_positive),
        "retention_days": Key(int, 90, "a whole number of days >= 1", _is_positive),
    },
    "screen": {
        "language": Key(str, "fr", f"one of {', '.join(LANGUAGES)}", lambda v: v in LANGUAGES),
        "slide_duration_s": Key((int, float), 8, "seconds from 2 to 120", lambda v: 2 <= v <= 120),
        "idle_timeout_s": Key(int, 45, "seconds from 10 to 600", lambda v: 10 <= v <= 600),
        "payment_timeout_s": Key(int, 120, "seconds from 30 to 600", lambda v: 30 <= v <= 600),
        "rotation": Key(int, 0, "0, 90, 180 or 270", lambda v: v in (0, 90, 180, 270)),
        "invert_touch_x": Key(bool, False, "true or false"),
        "invert_touch_y": Key(bool, False, "true or false"),
        "fullscreen": Key(bool, True, "true or false"),
        "max_featured": Key(int, 6, "a whole number from 1 to 30", lambda v: 1 <= v <= 30),
        "opening_time": Key(str, "07:00", "a time as HH:MM", _is_hhmm),
        "closing_time": Key(str, "21:00", "a time as HH:MM", _is_hhmm),
        "settings_timeout_s": Key(int, 90, "seconds from 15 to 900", lambda v: 15 <= v <= 900),
    },
}


@dataclass(frozen=True)
class Section:
    """Attribute access to one validated section."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:  # a key's type is in SCHEMA, not known here
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Config:
    path: Path
    device: Section
    api: Section
    terminal: Section
    donations: Section
    screen: Section

    @property
    def data_dir(self) -> Path:
        return Path(self.device.data_dir)

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "kiosk.db"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def receipt_base_url(self) -> str:
        return (self.api.receipt_base_url or self.api.base_url).rstrip("/")

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {f.name: dict(getattr(self, f.name).values)
                for f in dataclasses.fields(self) if f.name != "path"}


def default_path() -> Path:
    """The file named by ``KIOSK_CONFIG``, else ``/etc/kiosk/kiosk.toml``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def _type_ok(value: object, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python; a TOML `true` must not pass as a number of cents.
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def validate(raw: dict[str, Any], path: Path | str = "<config>") -> Config:
    """Check a parsed TOML document against :data:`SCHEMA` and fill in defaults."""
    for section in raw:
        if section not in SCHEMA:
            raise ConfigError(path, section, raw[section],
                              f"a known section (unknown sections are errors): "
                              f"{', '.join(SCHEMA)}")
    sections: dict[str, Section] = {}
    for name, keys in SCHEMA.items():
        given = raw.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(path, name, given, f"a [{name}] table")
        for key in given:
            if key not in keys:
                raise ConfigError(path, f"{name}.{key}", given[key],
                                  f"a key known in [{name}] (unknown keys are errors): "
                                  f"{', '.join(keys)}")
        values: dict[str, Any] = {}
        for key, spec in keys.items():
            dotted = f"{name}.{key}"
            value = given.get(key, spec.default)
            if value is _MISSING:
                raise ConfigError(path, dotted, _MISSING, f"a value (required): {spec.expected}")
            if isinstance(value, float) and not math.isfinite(value):
                # TOML allows inf and nan; no timeout or duration here may be either.
                raise ConfigError(path, dotted, value,
                                  f"a finite number: {spec.expected or _kind_name(spec.kind)}")
            if not _type_ok(value, spec.kind) or (spec.check and not spec.check(value)):
                raise ConfigError(path, dotted, value, spec.expected or _kind_name(spec.kind))
            values[key] = value
        sections[name] = Section(values)
    _cross_checks(sections, path)
    return Config(Path(path), **sections)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _cross_checks(s: dict[str, Section], path: Path | str) -> None:
    d = s["donations"]
    if d.custom_min_cents > d.custom_max_cents:
        raise ConfigError(path, "donations.custom_min_cents", d.custom_min_cents,
                          f"at most donations.custom_max_cents ({d.custom_max_cents})")
    if d.custom_max_cents > d.max_donation_cents:
        raise ConfigError(path, "donations.custom_max_cents", d.custom_max_cents,
                          f"at most donations.max_donation_cents ({d.max_donation_cents})")
    for amount in d.preset_amounts_cents:
        if amount > d.max_donation_cents:
            raise ConfigError(path, "donations.preset_amounts_cents", d.preset_amounts_cents,
                              f"amounts at most donations.max_donation_cents "
                              f"({d.max_donation_cents})")
    if d.max_donation_cents > d.offline_cap_cents:
        raise ConfigError(path, "donations.max_donation_cents", d.max_donation_cents,
                          f"at most donations.offline_cap_cents ({d.offline_cap_cents})")
    try:
        bridge_config.check_terminal(bridge_config.TerminalSettings(**s["terminal"].values),
                                     path)
    except bridge_config.BridgeConfigError as e:
        raise ConfigError(path, e.key, e.value, e.expected) from None
    _check_files(s, path)


# What each process keeps in the data directory (docs/internal-apis.md): no other configured
# file may be one of these, nor lie inside a directory of them (the catalog pull empties
# images/, the ledger moves a corrupt file into corrupt/).
DATA_DIR_FILES = ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "kiosk.db-journal",
                  "catalog.lock", "OUT_OF_SERVICE.json")
DATA_DIR_DIRS = ("images", "corrupt", "kivy-home", "screen-cache")
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _check_files(s: dict[str, Section], path: Path | str) -> None:
    """Files that must exist do, and no two keys name the same file.

    ``firmware-bridge serve`` removes whatever is at ``terminal.bridge_socket`` before it
    binds: a socket path equal to the journal deleted the record that prevents a double
    charge. Paths are compared as written (normalised), since the files need not exist yet.
    """
    ca_bundle = s["api"].ca_bundle
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise ConfigError(path, "api.ca_bundle", ca_bundle,
                          f"an existing PEM CA bundle file ({ca_bundle} "
                          f"{'is not a file' if os.path.exists(ca_bundle) else 'does not exist'})")
    data_dir = os.path.normpath(s["device"].data_dir)
    owned: dict[str, str] = {}  # a path -> the key (or file) that owns it
    for name in DATA_DIR_FILES + DATA_DIR_DIRS:
        owned[os.path.join(data_dir, name)] = f"device.data_dir ({name})"
    journal = os.path.normpath(s["terminal"].journal)
    for suffix in ("", *_SQLITE_SIDE_FILES):
        owned.setdefault(journal + suffix, "terminal.journal")
    keys = [("terminal.bridge_socket", s["terminal"].bridge_socket),
            ("terminal.journal", s["terminal"].journal),
            ("api.token_file", s["api"].token_file)]
    if ca_bundle:
        keys.append(("api.ca_bundle", ca_bundle))
    seen: dict[str, str] = {}
    for key, value in keys:
        p = os.path.normpath(value)
        clash = seen.get(p) or (owned.get(p) if owned.get(p) != key else None)
        if clash is None and (p == data_dir or any(
                p.startswith(os.path.join(data_dir, d) + os.sep) for d in DATA_DIR_DIRS)):
            clash = "device.data_dir"
        if clash is not None:
            raise ConfigError(path, key, value,
                              f"a file of its own: {p} is already used by {clash}")
        seen[p] = key


def load(path: Path | str | None = None) -> Config:
    """Read and validate the configuration file (default: :func:`default_path`)."""
    p = Path(path) if path is not None else default_path()
    return validate(bridge_config.read_toml(p, ConfigError), p)


def render_toml(values: dict[str, dict[str, Any]]) -> str:
    """Write a minimal TOML document for ``values`` (used by the demo and provisioning)."""
    lines: list[str] = []
    for section, keys in values.items():
        lines.append(f"[{section}]")
        for key, value in keys.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'
