"""The donor flow state machine, without a screen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.screen.donation_flow import (
    CancelPayment,
    DonationFlow,
    FlowOutcome,
    FlowSettings,
    FlowStep,
    PaymentResult,
    PlayConfirmation,
    StartPayment,
)

SETTINGS = FlowSettings(preset_amounts_cents=(200, 500, 1000, 2000), custom_min_cents=100,
                        custom_max_cents=15000, idle_timeout_s=45, payment_timeout_s=120)


def at_amount() -> DonationFlow:
    flow = DonationFlow(SETTINGS)
    assert flow.choose_project("proj-1", 0)
    return flow


def test_tap_project_then_preset_starts_one_payment():
    flow = at_amount()
    assert flow.step is FlowStep.AMOUNT and flow.amount_cents is None  # none pre-selected
    assert flow.choose_amount(500, 1) == [StartPayment("proj-1", 500, "EUR")]
    assert flow.step is FlowStep.PAYMENT
    assert flow.choose_amount(500, 1.05) == []  # the double tap gives nothing more


def test_only_configured_presets_from_the_amount_screen():
    assert at_amount().choose_amount(700, 1) == []


def test_keypad_bounds_and_editing():
    flow = at_amount()
    assert flow.open_keypad(1)
    assert not flow.keypad_press("0", 1)  # no leading zero
    assert flow.confirm_keypad(1) == []  # nothing typed
    for key in "151":
        flow.keypad_press(key, 1)
    assert flow.keypad_cents == 15100 and not flow.amount_allowed(flow.keypad_cents)
    assert flow.confirm_keypad(1) == []  # over the configured maximum
    assert flow.keypad_press("back", 1) and flow.keypad_cents == 1500
    assert flow.confirm_keypad(2) == [StartPayment("proj-1", 1500, "EUR")]


def test_keypad_length_is_bounded():
    flow = at_amount()
    flow.open_keypad(1)
    for _ in range(8):
        flow.keypad_press("9", 1)
    assert flow.keypad_digits == "9999"


def test_payment_screen_left_only_on_the_outcome():
    flow = at_amount()
    flow.choose_amount(500, 1)
    assert not flow.back(2)
    flow.tick(1000)  # far past idle and payment timeouts
    assert flow.step is FlowStep.PAYMENT


def test_countdown_expiry_sends_one_cancel_and_keeps_waiting():
    flow = at_amount()
    flow.choose_amount(500, 0)
    flow.payment_started("ref-1")
    assert flow.seconds_left(60) == 60
    assert flow.tick(120) == [CancelPayment("ref-1")]
    assert flow.tick(121) == []
    assert flow.step is FlowStep.PAYMENT


def test_cancel_acts_once_and_only_when_the_terminal_allows():
    flow = at_amount()
    flow.choose_amount(500, 0)
    flow.payment_started("ref-1")
    assert flow.request_cancel(1) == []  # not cancellable yet
    flow.payment_progress("waiting_card", True)
    assert flow.request_cancel(1) == [CancelPayment("ref-1")]
    assert flow.request_cancel(1.01) == []


def test_cancel_before_the_reference_is_known_is_sent_when_it_is():
    flow = at_amount()
    flow.choose_amount(500, 0)
    flow.cancellable = True
    assert flow.request_cancel(0.1) == []
    assert flow.payment_started("ref-9") == [CancelPayment("ref-9")]


def test_approved_shows_thanks_with_a_sound_others_the_outcome_screen():
    flow = at_amount()
    flow.choose_amount(500, 0)
    assert flow.payment_finished(PaymentResult(FlowOutcome.APPROVED, "r", 500), 5) == \
        [PlayConfirmation()]
    assert flow.step is FlowStep.THANKS
    flow = at_amount()
    flow.choose_amount(500, 0)
    assert flow.payment_finished(PaymentResult(FlowOutcome.DECLINED, "r", 500), 5) == []
    assert flow.step is FlowStep.OUTCOME


def test_idle_timeout_returns_to_attract_from_every_screen_but_payment():
    flow = at_amount()
    flow.tick(44)
    assert flow.step is FlowStep.AMOUNT
    flow.tick(45)
    assert flow.step is FlowStep.ATTRACT
    flow = at_amount()
    flow.choose_amount(500, 0)
    flow.payment_finished(PaymentResult(FlowOutcome.APPROVED, "r", 500), 10)
    flow.tick(54)
    assert flow.step is FlowStep.THANKS
    flow.tick(55)
    assert flow.step is FlowStep.ATTRACT


def test_unavailable_blocks_giving_but_not_a_payment_in_progress():
    flow = DonationFlow(SETTINGS)
    flow.set_availability(False, "terminal: not connected")
    assert not flow.choose_project("proj-1", 0)
    flow = at_amount()
    flow.set_availability(False, "disk_full")
    assert flow.step is FlowStep.ATTRACT  # back to the loop, no payment possible
    flow = at_amount()
    flow.choose_amount(500, 0)
    flow.set_availability(False, "disk_full")
    assert flow.step is FlowStep.PAYMENT


def test_settings_hook_only_from_the_attract_loop():
    flow = DonationFlow(SETTINGS)
    assert flow.settings_allowed
    flow.choose_project("proj-1", 0)
    assert not flow.settings_allowed


ACTIONS = st.lists(st.sampled_from([
    "project", "preset", "other", "digit", "erase", "confirm", "back", "cancel", "progress",
    "started", "approved", "declined", "tick", "unavailable", "available"]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_any_tap_sequence_starts_at_most_one_payment_per_outcome(actions):
    """Whatever is tapped, in any order: a payment starts only from AMOUNT/KEYPAD, never
    while another is unresolved, and PAYMENT is left only through an outcome."""
    flow, now, in_flight, reference = DonationFlow(SETTINGS), 0.0, False, 0
    for action in actions:
        now += 1
        before = flow.step
        effects: list = []
        if action == "project":
            flow.choose_project("proj-1", now)
        elif action == "preset":
            effects = flow.choose_amount(500, now)
        elif action == "other":
            flow.open_keypad(now)
        elif action == "digit":
            flow.keypad_press("5", now)
        elif action == "erase":
            flow.keypad_press("back", now)
        elif action == "confirm":
            effects = flow.confirm_keypad(now)
        elif action == "back":
            flow.back(now)
        elif action == "cancel":
            effects = flow.request_cancel(now)
        elif action == "progress":
            flow.payment_progress("waiting_card", True)
        elif action == "started" and in_flight:
            reference += 1
            effects = flow.payment_started(f"ref-{reference}")
        elif action in ("approved", "declined") and in_flight:
            outcome = FlowOutcome.APPROVED if action == "approved" else FlowOutcome.DECLINED
            flow.payment_finished(PaymentResult(outcome, "r", 500), now)
            in_flight = False
        elif action == "tick":
            now += 200
            effects = flow.tick(now)
        elif action == "unavailable":
            flow.set_availability(False, "x")
        elif action == "available":
            flow.set_availability(True)
        starts = [e for e in effects if isinstance(e, StartPayment)]
        if starts:
            assert not in_flight and before in (FlowStep.AMOUNT, FlowStep.KEYPAD) and flow.available
            assert len(starts) == 1
            in_flight = True
        if before is FlowStep.PAYMENT and flow.step is not FlowStep.PAYMENT:
            assert action in ("approved", "declined")
        assert (flow.step is FlowStep.PAYMENT) == in_flight
