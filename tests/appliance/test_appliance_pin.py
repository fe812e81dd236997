"""kiosk/core/pin.py and `kioskctl set-pin` on a real ledger file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import pin
from kiosk.core.ledger import Ledger, Limits
from tests.appliance.kiosk_config import write_config


def test_hash_then_verify() -> None:
    stored = pin.hash_pin("048213")
    assert "048213" not in stored
    assert pin.verify_pin("048213", stored)
    assert not pin.verify_pin("048214", stored)
    assert not pin.verify_pin("", stored)


def test_salt_makes_every_hash_different() -> None:
    assert pin.hash_pin("1234") != pin.hash_pin("1234")


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", " 1234", "１２３４"])
def test_pin_shape_is_enforced(bad: str) -> None:
    with pytest.raises(pin.BadPin):
        pin.hash_pin(bad)


def test_old_cost_still_verifies_and_asks_for_rehash() -> None:
    cheap = pin.hash_pin("2468", log2_n=10)
    assert pin.verify_pin("2468", cheap)
    assert pin.needs_rehash(cheap)
    assert not pin.needs_rehash(pin.hash_pin("2468"))


@pytest.mark.parametrize("stored, part", [
    ("", "form"), ("bcrypt$14$8$1$AAAAAAAAAAA$" + "A" * 43, "form"),
    ("scrypt$30$8$1$AAAAAAAAAAA$" + "A" * 43, "n parameter"),
    ("scrypt$14$8$1$!!!$" + "A" * 43, "salt"),
    ("scrypt$14$8$1$AAAAAAAAAAA$AAAA", "wrong length"),
])
def test_damaged_stored_hash_is_named(stored: str, part: str) -> None:
    with pytest.raises(pin.BadPinHash, match=part):
        pin.verify_pin("1234", stored)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.builds(
    lambda n, r, p, s, h: f"scrypt${n}${r}${p}${s}${h}",
    st.text("0123456789", max_size=3), st.text("0123456789", max_size=3),
    st.text("0123456789", max_size=2),
    st.text("ABCabc019+/=", max_size=30), st.text("ABCabc019+/=", max_size=90)))
def test_any_stored_string_verifies_or_is_refused_clearly(stored: str) -> None:
    # The stored hash comes from the database: anything in it must give a clear answer.
    try:
        assert pin.verify_pin("1234", stored) in (True, False)
    except pin.BadPinHash as e:
        assert "stored PIN hash" in str(e)


def _kioskctl(config: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", "--config", str(config),
                           *argv], input=stdin, capture_output=True, text=True, timeout=60)


def test_set_pin_stores_only_a_hash_and_audits(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    done = _kioskctl(config, "set-pin", "--stdin", stdin="735142\n")
    assert done.returncode == 0, done.stderr
    again = _kioskctl(config, "set-pin", "--stdin", stdin="735142\n")
    assert "nothing changed" in again.stdout
    for short in ("73", "7351", "73514"):  # a new PIN has six digits at least
        bad = _kioskctl(config, "set-pin", "--stdin", stdin=f"{short}\n")
        assert bad.returncode == 2 and "6 to 8 digits" in bad.stderr
    ledger = Ledger.open(tmp_path / "data/kiosk.db", Limits(15000, 300000, 0))
    stored = ledger.get_setting("pin_hash")
    actions = [r[0] for r in ledger.db.conn.execute("SELECT action FROM audit_log")]
    ledger.close()
    assert pin.verify_pin("735142", stored) and "735142" not in stored
    assert actions == ["set_pin"]
