"""When the settings may open and when they close themselves."""

from __future__ import annotations

from kiosk.owner.session import OwnerSession


def test_never_opens_or_stays_during_a_donation():
    busy = {"now": True}
    session = OwnerSession(lambda: busy["now"], timeout_s=30)
    assert not session.may_open()
    busy["now"] = False
    assert session.may_open()
    session.opened(0)
    busy["now"] = True
    assert session.should_close(1) == "donation"


def test_closes_after_inactivity_and_touches_extend_it():
    session = OwnerSession(lambda: False, timeout_s=30)
    assert session.should_close(0) is None  # not open: nothing to close
    session.touched(5)  # a touch while closed opens nothing
    assert not session.is_open
    session.opened(0)
    session.touched(20)
    assert session.should_close(49) is None
    assert session.should_close(50) == "inactivity"
    assert session.close() is True
    assert session.close() is False  # closing twice is reported once
    assert not session.is_open
