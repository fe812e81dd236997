"""The udev rule names the terminal as the configuration expects, for the listed USB ids.
(udev itself cannot run here: the rule is checked for form and content.)"""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.core.config import SCHEMA

RULES = Path(__file__).resolve().parents[2] / "config" / "udev" / "99-payment-terminal.rules"
KEY = re.compile(r'^(\w+(\{[^}]+\})?)(==|!=|\+=|=)"([^"]*)"$')


def rules() -> list[dict[str, str]]:
    parsed = []
    for line in RULES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = {}
        for part in (p.strip() for p in line.split(",")):
            m = KEY.match(part)
            assert m, f"not udev syntax: {part!r} in {line!r}"
            fields[m.group(1) + (m.group(3) if m.group(3) != "==" else "")] = m.group(4)
        parsed.append(fields)
    return parsed


def test_every_tty_rule_gives_the_configured_stable_name():
    default_device = SCHEMA["terminal"]["device"].default
    tty_rules = [r for r in rules() if r.get("SUBSYSTEM") == "tty"]
    assert len(tty_rules) >= 10
    for rule in tty_rules:
        assert "/dev/" + rule["SYMLINK+="] == default_device
        assert re.fullmatch(r"[0-9a-f]{4}", rule["ATTRS{idVendor}"])
        assert re.fullmatch(r"[0-9a-f]{4}", rule["ATTRS{idProduct}"])
        assert rule["ENV{ID_MM_DEVICE_IGNORE}="] == "1"


def test_common_ingenico_and_verifone_ids_are_listed():
    ids = {(r["ATTRS{idVendor}"], r["ATTRS{idProduct}"]) for r in rules()
           if r.get("SUBSYSTEM") == "tty"}
    assert {("0b00", "0054"), ("0b00", "0055"), ("0b00", "0066"), ("11ca", "0219")} <= ids
    vendors_kept_awake = {r["ATTR{idVendor}"] for r in rules() if r.get("SUBSYSTEM") == "usb"}
    assert vendors_kept_awake == {v for v, _ in ids}
