"""When the settings may open and when they close themselves; audit rows of the session."""

from __future__ import annotations

from kiosk import audit
from kiosk.owner.session import OwnerSession


def test_never_opens_or_stays_during_a_donation(ledger):
    busy = {"now": True}
    session = OwnerSession(ledger, lambda: busy["now"], timeout_s=30)
    assert not session.may_open()
    busy["now"] = False
    assert session.may_open()
    session.opened(0)
    busy["now"] = True
    assert session.should_close(1) == "donation"


def test_closes_after_inactivity_and_touches_extend_it(ledger):
    session = OwnerSession(ledger, lambda: False, timeout_s=30)
    assert session.should_close(0) is None  # not open: nothing to close
    session.opened(0)
    session.touched(20)
    assert session.should_close(49) is None
    assert session.should_close(50) == "inactivity"
    session.close("inactivity")
    session.close("inactivity")  # closing twice records it once
    assert not session.is_open
    rows = audit.unsent(ledger)
    assert [(r["action"], r["detail"]) for r in rows] == [
        ("settings_closed", {"reason": "inactivity"})]
