"""The engagement counts the donor's path reports (plain Python, no screen)."""

from __future__ import annotations

from kiosk.core.funnel import Counter as C
from kiosk.screen.donation_flow import DonationFlow, FlowOutcome, FlowSettings, PaymentResult

SETTINGS = FlowSettings(preset_amounts_cents=(200, 500), custom_min_cents=100,
                        custom_max_cents=5000, idle_timeout_s=45)


def flow() -> tuple[DonationFlow, list[tuple[C, str]]]:
    seen: list[tuple[C, str]] = []
    return DonationFlow(SETTINGS, on_count=lambda c, p: seen.append((c, p))), seen


def test_a_preset_gift_approved() -> None:
    f, seen = flow()
    f.choose_project("velo", 0)
    f.choose_amount(500, 1)
    f.payment_started("ref-1")
    f.payment_finished(PaymentResult(FlowOutcome.APPROVED, "ref-1", 500), 2)
    assert seen == [(C.GIVE_TAPPED, "velo"), (C.AMOUNT_PRESET, "velo"),
                    (C.PAYMENT_STARTED, "velo"), (C.PAYMENT_APPROVED, "velo")]


def test_a_typed_amount_then_cancelled() -> None:
    f, seen = flow()
    f.choose_project("chats", 0)
    f.open_keypad(1)
    f.keypad_press("7", 2)
    f.confirm_keypad(3)
    f.payment_started("ref-2")
    f.payment_finished(PaymentResult(FlowOutcome.CANCELLED, "ref-2", 700), 4)
    assert seen == [(C.GIVE_TAPPED, "chats"), (C.AMOUNT_CUSTOM, "chats"),
                    (C.PAYMENT_STARTED, "chats"), (C.ABANDONED_CANCEL, "chats")]


def test_back_and_walking_away_are_abandons_only_from_the_amount() -> None:
    f, seen = flow()
    f.choose_project("velo", 0)
    f.open_keypad(1)
    f.back(2)  # keypad → amount: still choosing
    f.back(3)  # amount → loop: gone
    f.choose_project("velo", 10)
    f.tick(10 + SETTINGS.idle_timeout_s)  # walked away
    f.choose_project("velo", 100)
    f.choose_amount(200, 101)
    f.payment_started("ref-3")
    f.payment_finished(PaymentResult(FlowOutcome.DECLINED, "ref-3", 200), 102)
    f.tick(102 + SETTINGS.idle_timeout_s)  # the outcome screen times out: not an abandon
    assert seen == [(C.GIVE_TAPPED, "velo"), (C.ABANDONED_BACK, "velo"),
                    (C.GIVE_TAPPED, "velo"), (C.ABANDONED_TIMEOUT, "velo"),
                    (C.GIVE_TAPPED, "velo"), (C.AMOUNT_PRESET, "velo"),
                    (C.PAYMENT_STARTED, "velo")]


def test_refused_taps_count_nothing() -> None:
    f, seen = flow()
    f.set_availability(False, "terminal: off")
    f.choose_project("velo", 0)
    f.choose_amount(500, 1)
    assert seen == []
