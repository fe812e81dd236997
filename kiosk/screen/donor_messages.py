"""What each outcome tells the donor: whether money was taken and what to do (English
message ids; translations in kiosk/core/locale)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.screen.donation_flow import FlowOutcome


@dataclass(frozen=True)
class OutcomeMessage:
    title: str
    body: str
    money_taken: str  # "no", "maybe" or "yes": picks the screen's colour band


OUTCOME_MESSAGES: dict[FlowOutcome, OutcomeMessage] = {
    FlowOutcome.DECLINED: OutcomeMessage(
        "Card declined",
        "No money was taken. You can try again with another card.", "no"),
    FlowOutcome.CANCELLED: OutcomeMessage(
        "Payment cancelled",
        "No money was taken.", "no"),
    FlowOutcome.TIMEOUT: OutcomeMessage(
        "The terminal did not answer",
        "No money was taken. You can try again in a moment.", "no"),
    FlowOutcome.TERMINAL_ERROR: OutcomeMessage(
        "Payment terminal problem",
        "No money was taken. Please try again later.", "no"),
    FlowOutcome.NOT_STARTED: OutcomeMessage(
        "Giving is unavailable for now",
        "No money was taken. Please try again later.", "no"),
    FlowOutcome.UNKNOWN: OutcomeMessage(
        "We could not confirm your payment",
        "Your card may have been charged. It will be checked and counted only once: please "
        "do not give again for this donation. The staff can help if needed.", "maybe"),
    FlowOutcome.NOT_RECORDED: OutcomeMessage(
        "Your payment was accepted",
        "Your card was charged. Your donation will be recorded automatically: please do not "
        "give again for it. No receipt can be shown right now.", "yes"),
}



def message_for(outcome: str) -> OutcomeMessage:
    """The message for an outcome name; anything unexpected is told as a terminal problem
    (no money taken is only claimed where the flow knows it)."""
    try:
        return OUTCOME_MESSAGES[FlowOutcome(outcome)]
    except (ValueError, KeyError):
        return OUTCOME_MESSAGES[FlowOutcome.UNKNOWN]


THANKS_TITLE = "Thank you!"
THANKS_BODY = "{amount} for {project} — {association}"
THANKS_QR = "Scan this code for your receipt or a tax receipt (reçu fiscal)."
THANKS_NO_QR = ("Your donation is recorded. Receipts are not available on this kiosk yet; "
                "ask the association for one.")
