"""The payment screen's hold timing and the catalog re-read decision, without a screen."""

from __future__ import annotations

from kiosk.core.catalog import Project
from kiosk.screen.catalog_watch import CatalogWatch
from kiosk.screen.payment_hold import (
    FRAME_HOLD_S,
    MIN_PAYMENT_SCREEN_S,
    PAYMENT_SCREEN_HOLD_S,
    PaymentHold,
)
from tests.screen.screen_fixtures import FakeClock


def test_payment_screen_is_held_until_the_request_is_at_the_terminal_or_the_hold_ends():
    clock = FakeClock()
    hold = PaymentHold(clock)
    assert hold.hold_left() == 0
    hold.started()
    assert hold.hold_left() == PAYMENT_SCREEN_HOLD_S
    hold.progress("connecting")  # not at the terminal yet
    clock.now += 0.05
    assert abs(hold.hold_left() - (PAYMENT_SCREEN_HOLD_S - 0.05)) < 1e-9
    hold.progress("waiting_card")
    assert hold.hold_left() == 0
    hold.started()
    clock.now += PAYMENT_SCREEN_HOLD_S
    assert hold.hold_left() == 0  # the hold ran out on its own
    hold.started()
    hold.finished()
    assert hold.hold_left() == 0


def test_frames_are_held_until_the_request_is_at_the_terminal_or_a_few_frames_passed():
    clock = FakeClock()
    hold = PaymentHold(clock)
    assert not hold.frames_held()  # no request: every frame is drawn
    hold.started()
    assert hold.frames_held()
    hold.progress("connecting")
    hold.progress("sending")  # written, not yet acknowledged by the terminal
    clock.now += FRAME_HOLD_S - 0.001
    assert hold.frames_held()
    hold.progress("waiting_card")
    assert not hold.frames_held()
    assert hold.hold_left() == 0  # the payment screen may show now too
    hold.started()
    clock.now += FRAME_HOLD_S
    assert not hold.frames_held()  # ran out: the donor sees the pressed button anyway
    assert hold.hold_left() > 0  # the payment screen is held for longer
    hold.started()
    hold.finished()  # refused by the ledger, or the bridge answered at once
    assert not hold.frames_held()
    assert FRAME_HOLD_S < PAYMENT_SCREEN_HOLD_S


def test_outcome_waits_until_the_payment_screen_was_seen_long_enough():
    clock = FakeClock()
    hold = PaymentHold(clock)
    hold.started()
    assert not hold.screen_showing and hold.outcome_delay() == 0
    hold.screen_shown()
    assert hold.screen_showing
    clock.now += 0.1
    assert abs(hold.outcome_delay() - (MIN_PAYMENT_SCREEN_S - 0.1)) < 1e-9
    clock.now += MIN_PAYMENT_SCREEN_S
    assert hold.outcome_delay() == 0
    hold.started()  # the next donation's screen has not been shown yet
    assert not hold.screen_showing


def project(pid: str) -> Project:
    return Project(id=pid, association="a", title=pid, summary="s", image_path=None,
                   goal_cents=0, raised_cents=0, currency="EUR", url=None, starts_on=None,
                   ends_on=None, active=True)


def test_catalog_change_applies_on_the_attract_loop_only_and_once():
    reads = [("v2", [project("a"), project("b")])]
    watch = CatalogWatch(lambda: reads[-1], "v1")
    shown = [project("a")]
    version, projects = watch.read()
    # Under a donor's finger: not now, and not forgotten (asked again at the next check).
    assert watch.accept(version, projects, shown, attract_showing=False) is None
    assert watch.accept(version, projects, shown, attract_showing=True) == projects
    assert watch.accept(version, projects, shown, attract_showing=True) is None  # seen
    # A new version with the projects already shown (the owner's panel applied them).
    assert watch.accept("v3", projects, projects, attract_showing=True) is None
    assert watch.version == "v3"
    assert not CatalogWatch(None, "").enabled
