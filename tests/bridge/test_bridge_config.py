"""The bridge reads its own part of kiosk.toml and imports nothing from the kiosk."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import firmware_bridge
from firmware_bridge import bridge_config
from firmware_bridge.bridge_config import BridgeConfigError
from kiosk.core import config as kiosk_config


def test_no_bridge_module_imports_the_kiosk() -> None:
    offenders = []
    for path in Path(firmware_bridge.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "kiosk"]
    assert offenders == []


def test_defaults_and_keys_match_the_kiosks_terminal_section() -> None:
    # Both read the same [terminal] table: one file, one meaning, so neither may drift.
    cfg = bridge_config.validate({})
    kiosk_keys = kiosk_config.SCHEMA["terminal"]
    assert set(bridge_config.TERMINAL_KEYS) == set(kiosk_keys)
    for key, spec in kiosk_keys.items():
        assert getattr(cfg.terminal, key) == spec.default, key
    assert cfg.max_amount_cents == kiosk_config.SCHEMA["donations"]["max_donation_cents"].default


@pytest.mark.parametrize("raw, key", [
    ({"terminal": {"baud": 9600}}, "terminal.baud"),  # unknown key
    ({"terminal": {"byte_timeout_s": float("inf")}}, "terminal.byte_timeout_s"),
    ({"terminal": {"byte_timeout_s": float("nan")}}, "terminal.byte_timeout_s"),
    ({"terminal": {"port": True}}, "terminal.port"),  # a TOML boolean is no number
    ({"terminal": {"journal": "relative.db"}}, "terminal.journal"),
    ({"terminal": {"transport": "tcp"}}, "terminal.protocol"),  # tcp needs Caisse-AP IP
    ({"terminal": {"bridge_socket": "/x/j.db", "journal": "/x/j.db"}},
     "terminal.bridge_socket"),
    ({"terminal": {"bridge_socket": "/x/j.db-wal", "journal": "/x/./j.db"}},
     "terminal.bridge_socket"),
    ({"donations": {"max_donation_cents": 0}}, "donations.max_donation_cents"),
    ({"terminal": "serial"}, "terminal"),
])
def test_bad_values_are_refused_naming_the_key(raw: dict, key: str) -> None:
    with pytest.raises(BridgeConfigError) as e:
        bridge_config.validate(raw, "k.toml")
    assert e.value.key == key and str(e.value).startswith(f"k.toml: {key} = ")


def test_other_sections_are_left_to_the_kiosk(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[device]\nid = "k1"\n[screen]\nwhatever = 1\n'
                    '[terminal]\nbridge_socket = "/run/b.sock"\n'
                    '[donations]\nmax_donation_cents = 900\ncurrency = "EUR"\n')
    cfg = bridge_config.load(path)
    assert cfg.terminal.bridge_socket == "/run/b.sock" and cfg.max_amount_cents == 900
    path.write_text("[terminal\n")
    with pytest.raises(BridgeConfigError, match="valid TOML"):
        bridge_config.load(path)
