"""Getting into the settings with the owner's PIN, and changing that PIN.

The PIN itself is never stored: :mod:`kiosk.core.pin` keeps a salted scrypt hash in the setting
``pin_hash``. Every attempt goes through :class:`~kiosk.owner.pin_lock.PinLock`, so a locked pad
does not even check the PIN. Checking costs tens of milliseconds on purpose: call these from a
worker thread, never the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.core import pin as pinmod
from kiosk.core.ledger import AuditEntry, Ledger
from kiosk.owner.message import Message, msg
from kiosk.owner.pin_lock import ACTOR, LockStatus, PinLock

PIN_SETTING = "pin_hash"


class AccessOutcome(StrEnum):
    OPEN = "open"          # right PIN: show the settings
    WRONG = "wrong"        # wrong PIN, counted
    LOCKED = "locked"      # the pad is locked; the PIN was not even checked
    NO_PIN = "no_pin"      # no usable PIN stored: only the operator can set one
    REFUSED = "refused"    # a PIN change that was not made (see message)
    CHANGED = "changed"    # the PIN was changed


@dataclass(frozen=True)
class Result:
    outcome: AccessOutcome
    lock: LockStatus
    message: Message | None = None  # plain words for the owner, if any
    must_change: bool = False  # the right PIN, but too short: ask the owner for a new one


class OwnerAccess:
    def __init__(self, ledger: Ledger, lock: PinLock):
        self.ledger = ledger
        self.lock = lock

    def try_pin(self, pin: str) -> Result:
        """Check ``pin``: open the settings, count a wrong PIN, or say the pad is locked."""
        result = self._check(pin)
        if result.outcome is AccessOutcome.OPEN:
            self.ledger.audit(ACTOR, "settings_opened")
        return result

    def _check(self, pin: str) -> Result:
        status = self.lock.status()
        if status.locked:
            return Result(AccessOutcome.LOCKED, status,
                          msg("Too many wrong PINs: wait before trying again."))
        stored = self.ledger.get_setting(PIN_SETTING)
        if not stored:
            return Result(AccessOutcome.NO_PIN, status,
                          msg("No PIN is set on this kiosk: ask the operator to set one."))
        try:
            right = pinmod.verify_pin(pin, stored)
        except pinmod.BadPinHash:
            return Result(AccessOutcome.NO_PIN, status,
                          msg("The stored PIN is damaged: ask the operator to set a new one."))
        if not right:
            return Result(AccessOutcome.WRONG, self.lock.record_failure(), msg("Wrong PIN."))
        self.lock.record_success()
        if pinmod.too_short(pin):
            # Still opens (it was set before six digits were required), but asks for a change.
            return Result(AccessOutcome.OPEN, self.lock.status(),
                          msg("This PIN is too short to be safe: please choose a new one of "
                              "6 to 8 digits."), must_change=True)
        return Result(AccessOutcome.OPEN, self.lock.status())

    def change_pin(self, current: str, new: str, repeated: str) -> Result:
        """Change the PIN from the settings screen; the current PIN is asked again."""
        checked = self._check(current)
        if checked.outcome is not AccessOutcome.OPEN:
            return Result(AccessOutcome.REFUSED, checked.lock,
                          checked.message or msg("The current PIN is not right."))
        if new != repeated:
            return Result(AccessOutcome.REFUSED, checked.lock,
                          msg("The two new PINs are not the same."))
        try:
            stored = pinmod.hash_new_pin(new)
        except pinmod.BadPin:
            return Result(AccessOutcome.REFUSED, checked.lock, msg("A new PIN is 6 to 8 digits."))
        self.ledger.set_setting(PIN_SETTING, stored, audit=AuditEntry(ACTOR, "pin_changed"))
        return Result(AccessOutcome.CHANGED, checked.lock, msg("The PIN was changed."))
