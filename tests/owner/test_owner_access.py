"""Getting in with the PIN and changing it, on a real ledger with the real scrypt hash."""

from __future__ import annotations

import pytest

from kiosk.core import audit
from kiosk.core import pin as pinmod
from kiosk.owner.access import AccessOutcome, OwnerAccess
from kiosk.owner.pin_lock import PinLock

FAST_HASH = 10  # log2 n: the real scheme at a test-friendly cost


@pytest.fixture
def access(ledger):
    ledger.set_setting("pin_hash", pinmod.hash_pin("482193", log2_n=FAST_HASH))
    return OwnerAccess(ledger, PinLock(ledger, schedule=(0, 30)))


def _actions(ledger) -> list[str]:
    return [r["action"] for r in audit.unsent(ledger)]


def test_right_pin_opens_and_is_audited(ledger, access):
    result = access.try_pin("482193")
    assert result.outcome is AccessOutcome.OPEN and result.message is None
    assert _actions(ledger) == ["settings_opened"]


def test_wrong_pins_then_locked_pad_does_not_even_check(ledger, access):
    assert access.try_pin("0000").outcome is AccessOutcome.WRONG
    second = access.try_pin("1111")
    assert second.outcome is AccessOutcome.WRONG and second.lock.locked_for_s == 30
    locked = access.try_pin("482193")  # the right PIN, but the pad is locked
    assert locked.outcome is AccessOutcome.LOCKED
    assert locked.message.render() == "Too many wrong PINs: wait before trying again."
    assert _actions(ledger) == ["pin_failed", "pin_failed"]


@pytest.mark.parametrize(("stored", "words"), [
    (None, "No PIN is set"),
    ("scrypt$99$8$1$AAAA$BBBB", "damaged"),
    ("482193", "damaged"),  # a PIN stored in clear by mistake is refused, never compared
])
def test_no_usable_pin_sends_the_owner_to_the_operator(ledger, stored, words):
    if stored is not None:
        ledger.set_setting("pin_hash", stored)
    result = OwnerAccess(ledger, PinLock(ledger)).try_pin("482193")
    assert result.outcome is AccessOutcome.NO_PIN and words in result.message.render()
    assert _actions(ledger) == []


def test_change_pin_needs_the_current_one_and_the_same_new_one_twice(ledger, access):
    assert access.change_pin("9999", "123456", "123456").outcome is AccessOutcome.REFUSED
    assert access.change_pin("482193", "123456", "654321").message.render() == \
        "The two new PINs are not the same."
    assert access.change_pin("482193", "12", "12").message.render() == \
        "A new PIN is 6 to 8 digits."
    changed = access.change_pin("482193", "123456", "123456")
    assert changed.outcome is AccessOutcome.CHANGED
    stored = ledger.get_setting("pin_hash")
    assert "123456" not in stored and pinmod.verify_pin("123456", stored)
    assert access.try_pin("482193").outcome is AccessOutcome.WRONG
    assert access.try_pin("123456").outcome is AccessOutcome.OPEN
    assert _actions(ledger) == ["pin_failed", "pin_changed", "pin_failed", "settings_opened"]


def test_a_four_digit_pin_set_before_still_opens_and_asks_for_a_change(ledger):
    ledger.set_setting("pin_hash", pinmod.hash_pin("4821", log2_n=FAST_HASH))  # an older release
    access = OwnerAccess(ledger, PinLock(ledger))
    opened = access.try_pin("4821")
    assert opened.outcome is AccessOutcome.OPEN and opened.must_change
    assert "too short" in opened.message.render()
    refused = access.change_pin("4821", "5555", "5555")
    assert refused.outcome is AccessOutcome.REFUSED
    assert refused.message.render() == "A new PIN is 6 to 8 digits."
    assert access.change_pin("4821", "48219377", "48219377").outcome is AccessOutcome.CHANGED
    again = access.try_pin("48219377")
    assert again.outcome is AccessOutcome.OPEN and not again.must_change and again.message is None
