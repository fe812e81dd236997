"""The PIN pad's lockout: wrong PINs lock the pad with growing delays.

The count of wrong attempts and the end of the current lock live in the ledger (setting
``pin_lockout``), so neither restarting the app nor pulling the plug resets them. Delays are
measured on the boot clock (``CLOCK_BOOTTIME``), never the wall clock: a Pi has no real-time
clock and its wall clock jumps when NTP comes back. After a reboot the boot clock starts again
from zero, so a lock recorded under another boot restarts in full from the first check.

Example (runnable)::

    >>> import tempfile, pathlib
    >>> from kiosk.core.ledger import Ledger, Limits
    >>> ledger = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "kiosk.db",
    ...                      Limits(5000, 100000, 0))
    >>> lock = PinLock(ledger, schedule=(0, 0, 30))
    >>> [lock.record_failure().locked_for_s for _ in range(3)]
    [0, 0, 30]
    >>> lock.status().locked
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from kiosk.core.ledger import AuditEntry, Ledger, SettingChange, boot_clock_ns, boot_id
from kiosk.owner.options import DEFAULT_SCHEDULE  # defined there: see its comment

if TYPE_CHECKING:
    from typing import TypeGuard

SETTING = "pin_lockout"
ACTOR = "owner"
_NEVER_SET = object()


class LockState(TypedDict):
    """The stored value of the setting."""

    failures: int
    boot_id: str
    locked_until_ns: int


@dataclass(frozen=True)
class LockStatus:
    failures: int
    locked_for_s: int  # whole seconds left, rounded up; 0 when the pad accepts a PIN

    @property
    def locked(self) -> bool:
        return self.locked_for_s > 0


class PinLock:
    """Counts wrong PINs and says how long the pad stays locked (see module docs)."""

    def __init__(self, ledger: Ledger, *, schedule: Sequence[int] = DEFAULT_SCHEDULE,
                 clock_ns: Callable[[], int] = boot_clock_ns,
                 current_boot: Callable[[], str] = boot_id):
        if not schedule or any(s < 0 for s in schedule):
            raise ValueError("the lockout schedule needs at least one delay, none negative")
        self.ledger = ledger
        self.schedule = tuple(schedule)
        self._clock_ns = clock_ns
        self._boot = current_boot()

    def delay_after(self, failures: int) -> int:
        """Seconds the pad locks after the ``failures``-th wrong PIN in a row."""
        if failures <= 0:
            return 0
        return self.schedule[min(failures, len(self.schedule)) - 1]

    def status(self) -> LockStatus:
        return self._status(self.ledger.update_setting(SETTING, self._current, _NEVER_SET))

    def record_failure(self, **audit_detail: Any) -> LockStatus:
        """One more wrong PIN: lengthen the lock and audit it, in one transaction."""
        status: LockStatus | None = None

        def fail(stored: object) -> SettingChange:
            nonlocal status
            failures = self._current(stored).value["failures"] + 1
            until = self._clock_ns() + self.delay_after(failures) * 1_000_000_000
            state: LockState = {"failures": failures, "boot_id": self._boot,
                                "locked_until_ns": until}
            status = self._status(state)
            return SettingChange(state, AuditEntry(ACTOR, "pin_failed", {
                "failures": failures, "locked_for_s": status.locked_for_s, **audit_detail}))

        self.ledger.update_setting(SETTING, fail, _NEVER_SET)
        assert status is not None
        return status

    def record_success(self) -> None:
        """A right PIN clears the count (auditing the entry is the session's job)."""
        self.ledger.set_setting(SETTING, self._fresh())

    def _fresh(self) -> LockState:
        return {"failures": 0, "boot_id": self._boot, "locked_until_ns": 0}

    def _current(self, stored: object) -> SettingChange:
        """The lock in force given the stored value (anything, as the ledger holds it);
        written back only when it changed."""
        if stored is _NEVER_SET:
            return SettingChange(self._fresh(), write=False)
        if _well_formed(stored):
            state: LockState = stored
        else:
            # A damaged value must not unlock the pad: treat it as a full lock from now.
            state = {"failures": len(self.schedule), "boot_id": "", "locked_until_ns": 0}
        if state["boot_id"] != self._boot:
            # Another boot's clock means nothing here: the lock restarts in full, now.
            until = self._clock_ns() + self.delay_after(state["failures"]) * 1_000_000_000
            state = {"failures": state["failures"], "boot_id": self._boot,
                     "locked_until_ns": until if state["failures"] else 0}
            return SettingChange(state)
        return SettingChange(state, write=False)

    def _status(self, state: LockState) -> LockStatus:
        left_ns = max(0, state["locked_until_ns"] - self._clock_ns())
        return LockStatus(state["failures"], math.ceil(left_ns / 1_000_000_000))


def _well_formed(state: object) -> TypeGuard[LockState]:
    return (isinstance(state, dict)
            and type(state.get("failures")) is int and state["failures"] >= 0
            and isinstance(state.get("boot_id"), str)
            and type(state.get("locked_until_ns")) is int)
